# SPDX-License-Identifier: Apache-2.0
# The board attestation test (test_attest_board.c) with the host's view of
# the image: the measurement in the token must be the SHA-256 of the load
# image that "objcopy -O binary" writes for the ELF file (what a verifier's
# allow-list holds), and the firmware's own checks must pass.
#   cmake -DQEMU=<qemu-system-arm> -DMACHINE=<machine> -DELF=<image>
#         -DOBJCOPY=<objcopy> -DBIN=<output .bin> -P attest_board.cmake
execute_process(COMMAND ${OBJCOPY} -O binary ${ELF} ${BIN} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "${OBJCOPY} -O binary ${ELF} failed: ${rc}")
endif()
file(SHA256 ${BIN} want)
message(STATUS "host: SHA-256 of the load image ${BIN}: ${want}")
execute_process(
  COMMAND ${QEMU} -M ${MACHINE} -nographic -semihosting-config enable=on,target=native
          -icount shift=5 -kernel ${ELF}
  INPUT_FILE /dev/null
  OUTPUT_VARIABLE out ERROR_VARIABLE out ECHO_OUTPUT_VARIABLE ECHO_ERROR_VARIABLE
  RESULT_VARIABLE rc
  TIMEOUT 300)
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "${ELF}: exit status ${rc}, expected 0")
endif()
if(NOT out MATCHES "attest board checks: 0 failed")
  message(FATAL_ERROR "${ELF}: the firmware's checks did not all pass")
endif()
if(NOT out MATCHES "APP measurement: ${want}")
  message(FATAL_ERROR "${ELF}: the token's measurement is not the host's SHA-256 ${want}")
endif()
message(STATUS "token measurement = host SHA-256 of the image")
