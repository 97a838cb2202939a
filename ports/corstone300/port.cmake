# SPDX-License-Identifier: Apache-2.0
# Corstone-300 (Cortex-M55, AN547 memory map).
# -fno-branch-count-reg: arm-none-eabi-gcc 12.2 miscompiles some counted loops
# for Armv8.1-M low-overhead branches at -Os.
add_compile_options(-mcpu=cortex-m55 -mthumb -mfloat-abi=hard -ffunction-sections
                    -fdata-sections -fno-branch-count-reg)
set(IOT_PORT_SOURCES "")
# TLS (net/), and the client that embeds it, join when Mbed TLS is
# cross-built for the board.
set(IOT_CORE_MODULES common mqtt)
set(IOT_CORE_EXCLUDE mqtt/mqtt_client.c)
set(IOT_PKGCONFIG_LIBS_PRIVATE "")
