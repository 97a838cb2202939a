# SPDX-License-Identifier: Apache-2.0
# Networking and TLS of the Cortex-M board ports: lwIP 2.1.3 and Mbed TLS
# 2.28.3, cross-built from the Debian source packages that
# tools/fetch-board-deps.sh unpacks into IOT_BOARD_DEPS_DIR, with the SDK's
# own configuration headers (lwip/lwipopts.h, mbedtls/iot_mbedtls_config.h).
# Included by board.cmake. Sets IOT_BOARD_NET (ON when both are present),
# adds the port sources (LAN9118 driver, lwIP glue, Mbed TLS platform hooks,
# firmware slots over the PSA Firmware Update API) and the core modules the
# board builds (net/, keys/, ota/ and the MQTT client join when TLS and PSA
# Crypto are available). Third-party code is compiled with the board's flags
# (including -fno-branch-count-reg) and without our warnings.

set(_iot_net_dir ${CMAKE_CURRENT_LIST_DIR})
set(IOT_BOARD_LWIP_DIR ${IOT_BOARD_DEPS_DIR}/lwip-2.1.3+dfsg1)
set(IOT_BOARD_MBEDTLS_DIR ${IOT_BOARD_DEPS_DIR}/mbedtls-2.28.3)

if(EXISTS ${IOT_BOARD_LWIP_DIR}/src/core/tcp.c AND EXISTS ${IOT_BOARD_MBEDTLS_DIR}/library/ssl_tls.c)
  set(IOT_BOARD_NET ON)
else()
  set(IOT_BOARD_NET OFF)
  message(WARNING "Board build without networking and TLS: no lwIP/Mbed TLS source in "
                  "${IOT_BOARD_DEPS_DIR}. Run tools/fetch-board-deps.sh, then configure again.")
endif()

if(NOT IOT_BOARD_NET)
  list(APPEND IOT_PORT_SOURCES ${_iot_net_dir}/cortex_m/port_tcp_none.c)
  set(IOT_CORE_MODULES common mqtt)
  set(IOT_CORE_EXCLUDE mqtt/mqtt_client.c)
  return()
endif()

# ---- Mbed TLS: every library source; the configuration leaves out what is
# not needed, and the link drops what is not called.
file(GLOB _mbedtls_srcs ${IOT_BOARD_MBEDTLS_DIR}/library/*.c)
# Headers and configuration alone (what the SDK's own objects compile with).
add_library(iot_board_mbedtls_headers INTERFACE)
target_include_directories(iot_board_mbedtls_headers SYSTEM INTERFACE
  $<BUILD_INTERFACE:${IOT_BOARD_MBEDTLS_DIR}/include> $<BUILD_INTERFACE:${_iot_net_dir}/mbedtls>)
target_compile_definitions(iot_board_mbedtls_headers INTERFACE MBEDTLS_CONFIG_FILE="iot_mbedtls_config.h")
add_library(iot_board_mbedtls STATIC ${_mbedtls_srcs})
target_link_libraries(iot_board_mbedtls PUBLIC iot_board_mbedtls_headers)
target_include_directories(iot_board_mbedtls PRIVATE ${IOT_BOARD_MBEDTLS_DIR}/library)
target_compile_options(iot_board_mbedtls PRIVATE -w)
# mbedtls_hardware_poll() and the pool set-up live in the port (library
# cycle: the linker searches both again).
target_link_libraries(iot_board_mbedtls INTERFACE corstone_iot_static)

# ---- lwIP: the core, IPv4 with DHCP, Ethernet; no sockets or netconn.
set(_lwip ${IOT_BOARD_LWIP_DIR}/src)
add_library(iot_board_lwip_headers INTERFACE)
target_include_directories(iot_board_lwip_headers SYSTEM INTERFACE
  $<BUILD_INTERFACE:${_lwip}/include> $<BUILD_INTERFACE:${_iot_net_dir}/lwip>)
add_library(iot_board_lwip STATIC
  ${_lwip}/core/init.c ${_lwip}/core/def.c ${_lwip}/core/inet_chksum.c ${_lwip}/core/ip.c
  ${_lwip}/core/mem.c ${_lwip}/core/memp.c ${_lwip}/core/netif.c ${_lwip}/core/pbuf.c
  ${_lwip}/core/tcp.c ${_lwip}/core/tcp_in.c ${_lwip}/core/tcp_out.c ${_lwip}/core/timeouts.c
  ${_lwip}/core/udp.c
  ${_lwip}/core/ipv4/dhcp.c ${_lwip}/core/ipv4/etharp.c ${_lwip}/core/ipv4/icmp.c
  ${_lwip}/core/ipv4/ip4.c ${_lwip}/core/ipv4/ip4_addr.c ${_lwip}/core/ipv4/ip4_frag.c
  ${_lwip}/netif/ethernet.c)
target_link_libraries(iot_board_lwip PUBLIC iot_board_lwip_headers)
target_compile_options(iot_board_lwip PRIVATE -w)
target_link_libraries(iot_board_lwip INTERFACE corstone_iot_static)

# Installed next to libcorstone_iot.a: firmware links all three.
install(TARGETS iot_board_mbedtls iot_board_lwip iot_board_mbedtls_headers iot_board_lwip_headers
        EXPORT corstone_iotTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

list(APPEND IOT_PORT_SOURCES
  ${_iot_net_dir}/lan9118/lan9118.c
  ${_iot_net_dir}/lan9118/lan9118_netif.c
  ${_iot_net_dir}/lwip/port_tcp_lwip.c
  ${_iot_net_dir}/mbedtls/iot_mbedtls_platform.c
  ${_iot_net_dir}/cortex_m/port_store.c
  ${_iot_net_dir}/cortex_m/port_attest.c)
set(IOT_PORT_LIBRARIES iot_board_mbedtls iot_board_lwip)
set(IOT_PORT_PRIVATE_LIBRARIES iot_board_mbedtls_headers iot_board_lwip_headers)

# ---- Firmware slots: the port's iot_port_fw_* over the PSA Firmware Update
# API (fwu/port_fw_fwu.c) and the board boot step (fwu/board_ota_boot.c).
# IOT_BOARD_FWU names who serves psa_fwu_*:
#   ram       the stand-in (fwu/fwu_service.c), no isolation, its image areas
#             and state where IOT_BOARD_STORAGE says (below): RAM region
#             IOT_FW_SLOTS (fwu/fwu_ram.c, NOT PERSISTENT) or the semihost
#             flash file (fwu/fwu_semihost.c);
#   external  the platform (a TF-M Firmware Update service through its
#             <psa/update.h>, plus the iot_fwu_* board extensions): give its
#             include folder and library in IOT_BOARD_FWU_INCLUDE_DIRS and
#             IOT_BOARD_FWU_LIBRARIES.
set(IOT_BOARD_FWU ram CACHE STRING "Provider of psa_fwu_* on boards: ram (stand-in) or external")
set_property(CACHE IOT_BOARD_FWU PROPERTY STRINGS ram external)
set(IOT_BOARD_FWU_INCLUDE_DIRS "" CACHE STRING "Include folders of an external psa_fwu_* provider")
set(IOT_BOARD_FWU_LIBRARIES "" CACHE STRING "Libraries of an external psa_fwu_* provider")
list(REMOVE_ITEM IOT_PORT_SOURCES ${_iot_net_dir}/cortex_m/port_placeholders.c)
list(APPEND IOT_PORT_SOURCES
  ${_iot_net_dir}/fwu/port_fw_fwu.c
  ${_iot_net_dir}/fwu/board_ota_boot.c)
# ---- Storage of the key store's records and of the stand-in's image areas
# and state. IOT_BOARD_STORAGE:
#   ram       (default) static RAM and the IOT_FW_SLOTS region: NOT
#             PERSISTENT, a reset loses keys and images;
#   semihost  a file on the host ("flash", IOT_BOARD_FLASH_FILE in the
#             emulator's working directory) over Arm semihosting: persistent
#             across resets and reboots of the emulated board. EMULATOR /
#             DEBUGGER ONLY: on a board without a debugger attached the first
#             semihosting call is a HardFault. NO ISOLATION: any code in the
#             image, and anyone on the host, reads every key.
# Both are stand-ins; a product keeps keys in TF-M's Internal Trusted
# Storage and images in flash behind TF-M's Firmware Update service.
# IOT_BOARD_SEMIHOST_STORAGE_SOURCES lists the semihost backend: an image
# that names these sources itself gets it in a ram build too (they define the
# backend functions, so the library's RAM backend is not linked).
set(IOT_BOARD_STORAGE ram CACHE STRING
    "Board storage of keys and firmware images: ram (default, not persistent) or semihost (emulator only, NO ISOLATION)")
set_property(CACHE IOT_BOARD_STORAGE PROPERTY STRINGS ram semihost)
set(IOT_BOARD_STORAGE_DIR ${_iot_net_dir}/storage)
set(IOT_BOARD_SEMIHOST_STORAGE_SOURCES
  ${_iot_net_dir}/cortex_m/port_store_semihost.c
  ${_iot_net_dir}/storage/flash_semihost.c
  ${_iot_net_dir}/storage/flash_record.c)
set(IOT_BOARD_SEMIHOST_FWU_SOURCES ${_iot_net_dir}/fwu/fwu_semihost.c)
if(IOT_BOARD_STORAGE STREQUAL "ram")
  list(APPEND IOT_PORT_SOURCES ${_iot_net_dir}/cortex_m/port_store_ram.c)
elseif(IOT_BOARD_STORAGE STREQUAL "semihost")
  message(STATUS "IOT_BOARD_STORAGE=semihost: keys and firmware images in a host file over "
                 "semihosting; EMULATOR ONLY (HardFault without a debugger), NO ISOLATION")
  list(APPEND IOT_PORT_SOURCES ${IOT_BOARD_SEMIHOST_STORAGE_SOURCES})
else()
  message(FATAL_ERROR "IOT_BOARD_STORAGE=${IOT_BOARD_STORAGE}: use ram or semihost")
endif()

if(IOT_BOARD_FWU STREQUAL "ram")
  list(APPEND IOT_PORT_SOURCES ${_iot_net_dir}/fwu/fwu_service.c)
  if(IOT_BOARD_STORAGE STREQUAL "semihost")
    list(APPEND IOT_PORT_SOURCES ${IOT_BOARD_SEMIHOST_FWU_SOURCES})
  else()
    list(APPEND IOT_PORT_SOURCES ${_iot_net_dir}/fwu/fwu_ram.c)
  endif()
elseif(IOT_BOARD_FWU STREQUAL "external")
  add_compile_definitions(IOT_FWU_EXTERNAL=1)
  include_directories(${IOT_BOARD_FWU_INCLUDE_DIRS})
  list(APPEND IOT_PORT_LIBRARIES ${IOT_BOARD_FWU_LIBRARIES})
else()
  message(FATAL_ERROR "IOT_BOARD_FWU=${IOT_BOARD_FWU}: use ram or external")
endif()

# The key store runs over the in-image PSA Crypto core and the board object
# store (cortex_m/port_store.c over the IOT_BOARD_STORAGE backend: no
# isolation; persistent with semihost only); the OTA module (ota/) over the
# key store and the firmware slots above; attestation (attest/) over the key
# store, with the claims of cortex_m/port_attest.c (the stand-in for TF-M's
# attestation service: doc/attestation.md).
set(IOT_CORE_MODULES common mqtt net keys attest ota)
set(IOT_CORE_EXCLUDE "")
