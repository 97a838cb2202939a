# SPDX-License-Identifier: Apache-2.0
# Corstone-310 (Cortex-M85, SSE-310 memory map). GCC 12 has no
# -mcpu=cortex-m85, so the architecture is named instead: Armv8.1-M with MVE
# (integer and float) and double-precision FPU. What this leaves out (PACBTI
# branch protection, M85-specific scheduling) is listed in doc/porting.md.
set(IOT_BOARD_CPU_FLAGS -march=armv8.1-m.main+mve.fp+fp.dp -mthumb -mfloat-abi=hard)
add_compile_options(${IOT_BOARD_CPU_FLAGS} -ffunction-sections -fdata-sections
                    -fno-branch-count-reg)
set(IOT_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
set(IOT_BOARD_LINKER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/an555.ld)
# No emulator model of this board: images are built and sized, not run.
set(IOT_BOARD_QEMU_MACHINE "")
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortex_m/board.cmake)
# board.cmake sets IOT_CORE_MODULES: TLS (net/) and the MQTT client join
# when lwIP and Mbed TLS are there to be cross-built (ports/common/net.cmake).
set(IOT_PKGCONFIG_LIBS_PRIVATE "")
