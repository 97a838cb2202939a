# SPDX-License-Identifier: Apache-2.0
# Shared CMake for the Cortex-M board ports. A board's port.cmake sets its
# compile options, IOT_BOARD_CPU_FLAGS (the link needs them too, to pick
# newlib's variant for the CPU), IOT_BOARD_QEMU_MACHINE (empty when QEMU has
# no model of the board), IOT_BOARD_DIR (its folder, with board.h and board.c) and
# IOT_BOARD_LINKER_SCRIPT, then includes this file.
#
# Every executable of a board build is a firmware image: it links with the
# board's linker script, newlib (nano by default; the port supplies the system
# calls and its own start-up instead of crt0) and section garbage collection.

set(_iot_cm_dir ${CMAKE_CURRENT_LIST_DIR})
set(_iot_cmsdk_dir ${CMAKE_CURRENT_LIST_DIR}/../cmsdk)

# Enums are int-sized, as on the host. arm-none-eabi-gcc defaults to
# -fshort-enums (the smallest type that holds the values), which makes
# iot_status_t and iot_log_level_t one byte: out-of-range values such as
# (iot_status_t)9999 or (iot_log_level_t)-3 wrap, and the portable unit tests
# that check how the core treats them fail on the target. Application code
# that includes the SDK headers must use the same setting (the linker warns
# about mixed enum sizes; newlib, which passes no enums, is linked without
# that warning).
add_compile_options(-fno-short-enums)
add_link_options(LINKER:--no-enum-size-warning)

# The SDK configuration of the boards (ports/common/iot_board_config.h),
# unless the product gives its own IOT_CONFIG_FILE. Defined for every source
# of the build, so that the library, the tests and the application agree.
if(NOT IOT_CONFIG_FILE)
  add_compile_definitions("IOT_CONFIG_FILE=\"${_iot_cm_dir}/../iot_board_config.h\"")
endif()

# Firmware is linked at fixed addresses: position-independent code would only
# add a global offset table (the top-level default suits shared libraries).
set(CMAKE_POSITION_INDEPENDENT_CODE OFF)

# A build against TF-M's non-secure interface (IOT_TFM_API_NS) replaces the
# linker script, the store, the entropy source and the PSA provider.
include(${_iot_cm_dir}/../tfm.cmake)

set(IOT_PORT_SOURCES
  ${_iot_cm_dir}/startup.c
  ${_iot_cm_dir}/clock.c
  ${_iot_cm_dir}/semihosting.c
  ${_iot_cm_dir}/syscalls.c
  ${_iot_cm_dir}/port_sync.c
  ${_iot_cm_dir}/port_log.c
  ${_iot_cm_dir}/port_entropy.c
  ${_iot_cm_dir}/port_placeholders.c
  ${_iot_cmsdk_dir}/cmsdk_uart.c
  ${IOT_BOARD_DIR}/board.c)

add_link_options(
  ${IOT_BOARD_CPU_FLAGS}
  -T${IOT_BOARD_LINKER_SCRIPT} -L${_iot_cm_dir}
  -nostartfiles
  # newlib-nano unless the target asks for the full C library (IOT_FULL_LIBC:
  # the on-target tests need its printf, which prints 64-bit integers).
  "$<$<NOT:$<BOOL:$<TARGET_PROPERTY:IOT_FULL_LIBC>>>:--specs=nano.specs>"
  LINKER:--gc-sections
  "LINKER:-Map=$<TARGET_PROPERTY:NAME>.map")

# A board build is firmware, so the samples (the firmware images) are built
# by default here, whereas the top-level default is host ports only.
option(IOT_BOARD_SAMPLES "Build the board samples (firmware images)" ON)
if(IOT_BOARD_SAMPLES)
  set(IOT_BUILD_SAMPLES ON)
endif()

# The checker of the board samples' QEMU tests: the Paho peer of the
# integration tests, built once for the host (IOT_BOARD_PAHO_PEER, empty when
# the host has no C compiler or no Paho MQTT C; the tests that need it then
# fail and say so).
find_program(IOT_HOST_CC NAMES cc gcc clang)
find_library(IOT_HOST_PAHO_MQTT3AS paho-mqtt3as PATHS /usr/lib /usr/lib/x86_64-linux-gnu
             /usr/lib/aarch64-linux-gnu NO_CMAKE_FIND_ROOT_PATH)
set(IOT_BOARD_PAHO_PEER "")
if(IOT_BUILD_SAMPLES AND IOT_HOST_CC AND IOT_HOST_PAHO_MQTT3AS)
  set(IOT_BOARD_PAHO_PEER ${PROJECT_BINARY_DIR}/paho_peer_host)
  set(_peer_src ${PROJECT_SOURCE_DIR}/tests/integration/paho_peer.c)
  add_custom_command(OUTPUT ${IOT_BOARD_PAHO_PEER}
    COMMAND ${IOT_HOST_CC} -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o ${IOT_BOARD_PAHO_PEER}
            ${_peer_src} ${IOT_HOST_PAHO_MQTT3AS} -lpthread
    DEPENDS ${_peer_src} COMMENT "Building the Paho peer for the host (board tests' checker)")
  add_custom_target(iot_board_paho_peer ALL DEPENDS ${IOT_BOARD_PAHO_PEER})
endif()
option(IOT_BOARD_TESTS "Build the portable unit tests as firmware images (tests/target)" ON)
set(IOT_BOARD_DEPS_DIR "${PROJECT_SOURCE_DIR}/build/_deps" CACHE PATH
    "Where tools/fetch-board-deps.sh unpacked the third-party sources for boards")
# lwIP, Mbed TLS and the network port, when their sources are there.
include(${_iot_cm_dir}/../net.cmake)
iot_tfm_finish_port()
if(IOT_BOARD_TESTS)
  enable_testing()
endif()

# iot_board_firmware(<target>): marks an executable as a firmware image: .elf
# suffix, relinked when a linker script changes.
function(iot_board_firmware target)
  set_target_properties(${target} PROPERTIES SUFFIX ".elf"
    LINK_DEPENDS "${IOT_BOARD_LINKER_SCRIPT};${_iot_cm_dir}/sections.ld")
endfunction()

# The port's sources see the board's headers; the library target exists only
# once src/ is processed, so this runs at the end of the top-level CMakeLists.txt.
function(_iot_board_finish)
  target_include_directories(iot_port PRIVATE ${IOT_BOARD_DIR} ${_iot_cm_dir} ${_iot_cmsdk_dir}
                             ${_iot_cm_dir}/../lan9118 ${_iot_cm_dir}/../fwu
                             ${_iot_cm_dir}/../storage)
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL _iot_board_finish)

# iot_board_add_qemu_test(NAME <test> TARGET <firmware> [PASS_REGULAR_EXPRESSION <re>]
#                         [TIMEOUT <s>] [EXIT <status>] [NIC <-nic options>]):
# on boards that QEMU models, a ctest that boots the image and passes when
# the firmware exits with status EXIT (semihosting; 0 by default) and, if
# given, its console output matches <re>. NIC attaches the Ethernet
# controller to a QEMU network (e.g. "user,restrict=on"). Boards without a
# model get no test.
find_program(IOT_QEMU_SYSTEM_ARM qemu-system-arm)
function(iot_board_add_qemu_test)
  cmake_parse_arguments(A "" "NAME;TARGET;PASS_REGULAR_EXPRESSION;TIMEOUT;EXIT;NIC" "" ${ARGN})
  if(NOT IOT_BOARD_QEMU_MACHINE)
    return()
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  set(_extra "")
  if(DEFINED A_EXIT)
    list(APPEND _extra "-DEXPECT_EXIT=${A_EXIT}")
  endif()
  if(A_NIC)
    list(APPEND _extra "-DNIC=${A_NIC}")
  endif()
  enable_testing()
  add_test(NAME ${A_NAME}
    COMMAND ${CMAKE_COMMAND} "-DQEMU=${IOT_QEMU_SYSTEM_ARM}" "-DMACHINE=${IOT_BOARD_QEMU_MACHINE}"
            "-DELF=$<TARGET_FILE:${A_TARGET}>" "-DEXPECT=${A_PASS_REGULAR_EXPRESSION}"
            "-DTIMEOUT=${A_TIMEOUT}" ${_extra} -P ${PROJECT_SOURCE_DIR}/tests/target/run_qemu.cmake)
  set_tests_properties(${A_NAME} PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS target)
endfunction()

# The on-target unit tests (their targets link the library defined later in src/).
if(IOT_BOARD_TESTS)
  add_subdirectory(${PROJECT_SOURCE_DIR}/tests/target ${PROJECT_BINARY_DIR}/tests/target)
endif()
