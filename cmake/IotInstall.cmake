# SPDX-License-Identifier: Apache-2.0
# Installs headers, libraries, corstone_iot.pc and the CMake package.
include(CMakePackageConfigHelpers)

# posix.h declares functions only the posix port has.
set(_iot_header_exclude "")
if(NOT IOT_PORT STREQUAL "posix")
  set(_iot_header_exclude PATTERN "posix.h" EXCLUDE)
endif()
install(DIRECTORY include/corstone_iot DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" ${_iot_header_exclude})
install(FILES ${IOT_GENERATED_INCLUDE}/corstone_iot/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/corstone_iot)

set(_targets corstone_iot_static)
if(TARGET corstone_iot)
  list(APPEND _targets corstone_iot)
endif()
install(TARGETS ${_targets} EXPORT corstone_iotTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(IOT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/corstone_iot)
install(EXPORT corstone_iotTargets NAMESPACE corstone_iot:: DESTINATION ${IOT_CMAKE_DIR})
configure_package_config_file(cmake/corstone_iotConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/corstone_iotConfig.cmake INSTALL_DESTINATION ${IOT_CMAKE_DIR})
# Same major version = compatible: that is the API promise.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/corstone_iotConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/corstone_iotConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/corstone_iotConfigVersion.cmake
              cmake/FindMbedTLS.cmake
        DESTINATION ${IOT_CMAKE_DIR})

configure_file(cmake/corstone_iot.pc.in ${CMAKE_CURRENT_BINARY_DIR}/corstone_iot.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/corstone_iot.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
