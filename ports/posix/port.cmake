# SPDX-License-Identifier: Apache-2.0
# posix port: Linux and other POSIX hosts. PSA Crypto and TLS come from Mbed TLS.
find_package(Threads REQUIRED)
find_package(MbedTLS REQUIRED)

set(_dir ${CMAKE_CURRENT_LIST_DIR})
file(GLOB IOT_PORT_SOURCES CONFIGURE_DEPENDS ${_dir}/*.c)
set(IOT_CORE_MODULES common mqtt net keys attest ota)
set(IOT_PORT_LIBRARIES MbedTLS::mbedtls Threads::Threads)
set(IOT_PORT_PRIVATE_LIBRARIES MbedTLS::mbedtls Threads::Threads)
set(IOT_PORT_PUBLIC_HEADERS "")
# Libraries a static link needs, for corstone_iot.pc's Libs.private.
set(IOT_PKGCONFIG_LIBS_PRIVATE "-lmbedtls -lmbedx509 -lmbedcrypto -lpthread")
# Optional port calls the SDK's sources may use (include/corstone_iot/port.h),
# and the OTA verifier's read size (config.h, IOT_CONFIG_OTA_BLOCK_SIZE): a
# slot read is a file operation here, so fewer, larger reads (finalize of a
# 1 MiB image: 64 reads instead of 2,048).
set(IOT_PORT_DEFINITIONS IOT_PORT_FW_HAS_SYNC=1 IOT_PORT_OTA_BLOCK_SIZE=16384)
