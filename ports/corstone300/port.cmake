# SPDX-License-Identifier: Apache-2.0
# Corstone-300 (Cortex-M55, AN547 memory map).
# -fno-branch-count-reg: arm-none-eabi-gcc 12.2 miscompiles some counted loops
# for Armv8.1-M low-overhead branches at -Os.
set(IOT_BOARD_CPU_FLAGS -mcpu=cortex-m55 -mthumb -mfloat-abi=hard)
add_compile_options(${IOT_BOARD_CPU_FLAGS} -ffunction-sections -fdata-sections
                    -fno-branch-count-reg)
set(IOT_BOARD_DIR ${CMAKE_CURRENT_LIST_DIR})
set(IOT_BOARD_LINKER_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/an547.ld)
# On-target tests run in QEMU's model of this board (tests/target).
set(IOT_BOARD_QEMU_MACHINE mps3-an547)
include(${CMAKE_CURRENT_LIST_DIR}/../common/cortex_m/board.cmake)
# board.cmake sets IOT_CORE_MODULES: TLS (net/) and the MQTT client join
# when lwIP and Mbed TLS are there to be cross-built (ports/common/net.cmake).
set(IOT_PKGCONFIG_LIBS_PRIVATE "")
