# SPDX-License-Identifier: Apache-2.0
# Boots a firmware image in QEMU and turns the run into a test verdict: the
# firmware's exit status (semihosting SYS_EXIT_EXTENDED) must be 0 and, when
# EXPECT is set, its console output must match that regular expression.
#   cmake -DQEMU=<qemu-system-arm> -DMACHINE=<machine> -DELF=<image>
#         [-DEXPECT=<regex>] [-DTIMEOUT=<seconds>] [-DNIC=<-nic options>]
#         [-DEXPECT_EXIT=<status>] [-DFLASH_FILL=<character>] -P run_qemu.cmake
# EXPECT_EXIT is the exit status that passes (default 0).
# NIC attaches the board's Ethernet controller to a QEMU network (for example
# user,restrict=on); without it the board has none.
# -icount shift=5 makes the run deterministic (virtual time advances by
# instruction count) and lets idle waits skip ahead.
if(NOT QEMU)
  message(FATAL_ERROR "qemu-system-arm not found: install it (tools/deps.sh installs qemu-system-arm)")
endif()
if(NOT TIMEOUT)
  set(TIMEOUT 120)
endif()
set(nic_args "")
if(NIC)
  set(nic_args -nic ${NIC})
endif()
# QEMU runs in a fresh folder of its own: with IOT_BOARD_STORAGE=semihost
# the firmware's flash file (iot-board-flash.bin) lands there, so every run
# starts on an erased flash and no two images share one.
get_filename_component(run_name ${ELF} NAME_WE)
set(run_dir ${CMAKE_CURRENT_BINARY_DIR}/qemu-run-${run_name})
file(REMOVE_RECURSE ${run_dir})
file(MAKE_DIRECTORY ${run_dir})
# FLASH_FILL=<character>: the run starts on a flash file of 16 KiB of that
# character (no valid record anywhere: a damaged flash).
if(FLASH_FILL)
  string(REPEAT "${FLASH_FILL}" 16384 fill)
  file(WRITE ${run_dir}/iot-board-flash.bin "${fill}")
endif()
execute_process(
  COMMAND ${QEMU} -M ${MACHINE} -nographic ${nic_args}
          -semihosting-config enable=on,target=native -icount shift=5 -kernel ${ELF}
  INPUT_FILE /dev/null
  OUTPUT_VARIABLE out ERROR_VARIABLE out ECHO_OUTPUT_VARIABLE ECHO_ERROR_VARIABLE
  RESULT_VARIABLE rc
  WORKING_DIRECTORY ${run_dir}
  TIMEOUT ${TIMEOUT})
if(NOT DEFINED EXPECT_EXIT)
  set(EXPECT_EXIT 0)
endif()
if(NOT rc STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "${ELF}: exit status ${rc}, expected ${EXPECT_EXIT}")
endif()
if(EXPECT AND NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "${ELF}: output does not match '${EXPECT}'")
endif()
