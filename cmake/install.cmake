# install.cmake - what `cmake --install` puts where (GNU layout):
#
#   bin/tripminer
#   lib/libtripminer.a                        (CMAKE_INSTALL_LIBDIR)
#   include/tripminer/*.h                     the public headers
#   lib/cmake/tripminer/tripminerConfig.cmake, tripminerConfigVersion.cmake,
#   tripminerTargets*.cmake                   find_package(tripminer)
#   share/tripminer/jobs/                     the batch scripts of jobs/
#
# A consumer writes
#
#   find_package(tripminer 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE tripminer::tripminer)
#
# and gets the include directory and every dependency of the (static)
# library: MPI, the parallel HDF5, OpenBLAS, OpenMP and libm. Included from
# the top CMakeLists.txt after the targets tripminer and tripminer_lib exist.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tripminer)

# The same name inside this build, for a project that adds tripminer with
# add_subdirectory instead of installing it.
add_library(tripminer::tripminer ALIAS tripminer_lib)
set_target_properties(tripminer_lib PROPERTIES EXPORT_NAME tripminer)

# The installed executable finds libraries outside the system directories
# (an HDF5 or MPI of a cluster's module system) where it was linked with them.
set_target_properties(tripminer PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)

install(TARGETS tripminer
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tripminer_lib EXPORT tripminerTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tripminer
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/jobs/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/tripminer/jobs
        USE_SOURCE_PERMISSIONS)

install(EXPORT tripminerTargets
        NAMESPACE tripminer::
        DESTINATION ${TM_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/tripminerConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tripminerConfig.cmake
  INSTALL_DESTINATION ${TM_INSTALL_CMAKEDIR})
# Before 1.0 a minor release may change the API: 0.1.x only satisfies 0.1.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/tripminerConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tripminerConfig.cmake
              ${PROJECT_BINARY_DIR}/tripminerConfigVersion.cmake
        DESTINATION ${TM_INSTALL_CMAKEDIR})
