# SPDX-License-Identifier: Apache-2.0
# Board builds against TF-M: the SDK as the non-secure image of a product
# whose secure world is TF-M. Included by board.cmake before it sets the link
# options and before net.cmake; board.cmake calls iot_tfm_finish_port()
# after net.cmake. Nothing changes when IOT_TFM_API_NS is empty.
#
# IOT_TFM_API_NS is the "api_ns" folder a TF-M build installs for the
# non-secure side (the reference integration for Corstone-3xx consumes the
# same folder): interface/include (TF-M's PSA headers), interface/src (the
# client side of each service), interface/lib/s_veneers.o (the secure
# gateway veneers of that very secure image) and the platform's region
# definitions. With it:
#   - PSA Crypto, Internal Trusted Storage and Firmware Update calls go to
#     TF-M's services through the veneers (TF-M's interface sources are built
#     into the library iot_tfm_ns);
#   - the port object store is ports/common/psa/port_store_its.c (psa_its_*)
#     instead of the RAM store, and entropy is psa_generate_random
#     (ports/common/psa/port_entropy_psa.c) instead of the refusing
#     placeholder;
#   - Mbed TLS is built for TLS only: its PSA Crypto core is left out
#     (IOT_BOARD_TFM in mbedtls/iot_mbedtls_config.h), TF-M's is used;
#   - psa_fwu_* come from TF-M (IOT_BOARD_FWU=external); the four iot_fwu_*
#     board extensions (ports/common/fwu/iot_fwu.h) are the product's;
#   - the image is linked for the non-secure code and data regions that the
#     TF-M platform reserves (IOT_TFM_NS_CODE_START/SIZE,
#     IOT_TFM_NS_DATA_START/SIZE: NS_CODE_START, NS_CODE_SIZE, NS_DATA_START
#     and NS_DATA_SIZE of the platform's region_defs.h), through
#     cortex_m/tfm_ns.ld.in.
# See doc/boards.md, "Building against TF-M", for the whole recipe and for
# what has not been built or run with a TF-M secure image yet.

set(IOT_TFM_API_NS "" CACHE PATH "TF-M non-secure interface folder (api_ns); empty: no TF-M")
if(NOT IOT_TFM_API_NS)
  function(iot_tfm_finish_port)
  endfunction()
  return()
endif()

set(_iot_tfm_dir ${CMAKE_CURRENT_LIST_DIR})
set(_tfm ${IOT_TFM_API_NS})
set(_tfm_inc ${_tfm}/interface/include)
set(_tfm_src ${_tfm}/interface/src)

# The attestation client is named differently across TF-M releases.
set(_tfm_attest "")
foreach(f tfm_attest_api.c tfm_initial_attestation_api.c)
  if(EXISTS ${_tfm_src}/${f} AND NOT _tfm_attest)
    set(_tfm_attest ${_tfm_src}/${f})
  endif()
endforeach()

set(_tfm_required
  ${_tfm_inc}/psa/crypto.h
  ${_tfm_inc}/psa/internal_trusted_storage.h
  ${_tfm_inc}/psa/update.h
  ${_tfm_src}/tfm_crypto_api.c
  ${_tfm_src}/tfm_its_api.c
  ${_tfm_src}/tfm_fwu_api.c
  ${_tfm_src}/tfm_tz_psa_ns_api.c
  ${_tfm_src}/os_wrapper/tfm_ns_interface_bare_metal.c
  ${_tfm}/interface/lib/s_veneers.o)
set(_tfm_missing "")
foreach(f ${_tfm_required})
  if(NOT EXISTS ${f})
    list(APPEND _tfm_missing ${f})
  endif()
endforeach()
if(_tfm_missing)
  list(JOIN _tfm_missing "\n  " _tfm_missing_text)
  message(FATAL_ERROR "IOT_TFM_API_NS=${IOT_TFM_API_NS} is not a TF-M api_ns folder with the "
    "services this SDK uses (build TF-M with the Crypto, Internal Trusted Storage and "
    "Firmware Update partitions). Missing:\n  ${_tfm_missing_text}")
endif()

foreach(v IOT_TFM_NS_CODE_START IOT_TFM_NS_CODE_SIZE IOT_TFM_NS_DATA_START IOT_TFM_NS_DATA_SIZE)
  set(${v} "" CACHE STRING "TF-M platform region (region_defs.h), e.g. 0x28080400")
  if(NOT ${v} MATCHES "^(0x[0-9A-Fa-f]+|[0-9]+)$")
    message(FATAL_ERROR "${v}='${${v}}': give the value of the TF-M platform's "
      "region_defs.h (a number, e.g. 0x28080400), so the image lands where TF-M starts it")
  endif()
endforeach()

# TF-M's client side of the services: PSA calls -> veneers -> secure world.
# One thread calls into the SDK on the boards, so the bare-metal dispatcher
# (no lock) is the right one; an RTOS product takes os_wrapper/
# tfm_ns_interface_rtos.c and its own lock.
add_library(iot_tfm_ns STATIC
  ${_tfm_src}/tfm_crypto_api.c
  ${_tfm_src}/tfm_its_api.c
  ${_tfm_src}/tfm_fwu_api.c
  ${_tfm_src}/tfm_tz_psa_ns_api.c
  ${_tfm_src}/os_wrapper/tfm_ns_interface_bare_metal.c
  ${_tfm_attest})
target_include_directories(iot_tfm_ns SYSTEM PUBLIC ${_tfm_inc})
if(EXISTS ${_tfm}/platform/include)
  target_include_directories(iot_tfm_ns SYSTEM PUBLIC ${_tfm}/platform/include)
endif()
target_compile_options(iot_tfm_ns PRIVATE -w)
target_link_libraries(iot_tfm_ns PUBLIC ${_tfm}/interface/lib/s_veneers.o)
install(TARGETS iot_tfm_ns EXPORT corstone_iotTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# Firmware Update from TF-M.
set(IOT_BOARD_FWU external)
set(IOT_BOARD_FWU_INCLUDE_DIRS ${_tfm_inc})
set(IOT_BOARD_FWU_LIBRARIES iot_tfm_ns)
add_compile_definitions(IOT_BOARD_TFM=1)

# The non-secure image's memory map.
configure_file(${_iot_tfm_dir}/cortex_m/tfm_ns.ld.in
               ${PROJECT_BINARY_DIR}/tfm_ns.ld @ONLY)
set(IOT_BOARD_LINKER_SCRIPT ${PROJECT_BINARY_DIR}/tfm_ns.ld)

# After net.cmake: the store and entropy over TF-M's services, and TF-M's PSA
# headers ahead of Mbed TLS's for everything that includes <psa/crypto.h>.
macro(iot_tfm_finish_port)
  list(REMOVE_ITEM IOT_PORT_SOURCES
    ${_iot_tfm_dir}/cortex_m/port_store.c
    ${_iot_tfm_dir}/cortex_m/port_store_ram.c
    ${IOT_BOARD_SEMIHOST_STORAGE_SOURCES}
    ${_iot_tfm_dir}/cortex_m/port_entropy.c)
  list(APPEND IOT_PORT_SOURCES
    ${_iot_tfm_dir}/psa/port_store_its.c
    ${_iot_tfm_dir}/psa/port_entropy_psa.c)
  if(TARGET iot_board_mbedtls_headers)
    target_include_directories(iot_board_mbedtls_headers SYSTEM BEFORE INTERFACE ${_tfm_inc})
  endif()
endmacro()
