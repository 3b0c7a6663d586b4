# tripminerConfig.cmake - lets another project use an installed tripminer:
#
#   find_package(tripminer 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE tripminer::tripminer)
#
# tripminer::tripminer is the static library libtripminer with its public
# headers (#include "tripminer/opts.h" and so on). Its dependencies are
# found again here, with the same find modules the build used, because a
# static library brings none of them with it: MPI (C), OpenMP (C), threads, the
# parallel HDF5 (tripminer::hdf5) and OpenBLAS through pkg-config
# (tripminer::openblas).


####### Expanded from @PACKAGE_INIT@ by configure_package_config_file() #######
####### Any changes to this file will be overwritten by the next CMake run ####
####### The input file was tripminerConfig.cmake.in                            ########

get_filename_component(PACKAGE_PREFIX_DIR "${CMAKE_CURRENT_LIST_DIR}/../../../" ABSOLUTE)

macro(set_and_check _var _file)
  set(${_var} "${_file}")
  if(NOT EXISTS "${_file}")
    message(FATAL_ERROR "File or directory ${_file} referenced by variable ${_var} does not exist !")
  endif()
endmacro()

macro(check_required_components _NAME)
  foreach(comp ${${_NAME}_FIND_COMPONENTS})
    if(NOT ${_NAME}_${comp}_FOUND)
      if(${_NAME}_FIND_REQUIRED_${comp})
        set(${_NAME}_FOUND FALSE)
      endif()
    endif()
  endforeach()
endmacro()

####################################################################################

include(CMakeFindDependencyMacro)

find_dependency(MPI COMPONENTS C)
find_dependency(OpenMP COMPONENTS C)
find_dependency(Threads)

# Ask FindHDF5 for the parallel build, as tripminer's own build does, and
# give the caller back its own setting afterwards.
if(DEFINED HDF5_PREFER_PARALLEL)
  set(_tripminer_prefer_parallel "${HDF5_PREFER_PARALLEL}")
endif()
set(HDF5_PREFER_PARALLEL ON)
find_dependency(HDF5 COMPONENTS C)
if(DEFINED _tripminer_prefer_parallel)
  set(HDF5_PREFER_PARALLEL "${_tripminer_prefer_parallel}")
  unset(_tripminer_prefer_parallel)
else()
  unset(HDF5_PREFER_PARALLEL)
endif()
if(NOT HDF5_IS_PARALLEL)
  set(tripminer_FOUND FALSE)
  set(tripminer_NOT_FOUND_MESSAGE
      "tripminer needs the parallel (MPI) HDF5 it was built with, but CMake found a serial one (${HDF5_C_INCLUDE_DIRS}); on Debian: apt-get install libhdf5-openmpi-dev")
  return()
endif()
if(NOT TARGET tripminer::hdf5)
  add_library(tripminer::hdf5 INTERFACE IMPORTED)
  target_include_directories(tripminer::hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS})
  target_compile_definitions(tripminer::hdf5 INTERFACE ${HDF5_C_DEFINITIONS})
  target_link_libraries(tripminer::hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
endif()

# A prefix of our own, so that the caller's OPENBLAS_* variables, if any,
# are left alone.
find_dependency(PkgConfig)
pkg_check_modules(tripminer_OPENBLAS QUIET IMPORTED_TARGET openblas)
if(NOT tripminer_OPENBLAS_FOUND)
  set(tripminer_FOUND FALSE)
  set(tripminer_NOT_FOUND_MESSAGE
      "tripminer needs OpenBLAS, but pkg-config cannot find openblas.pc; on Debian: apt-get install libopenblas-dev")
  return()
endif()
if(NOT TARGET tripminer::openblas)
  add_library(tripminer::openblas INTERFACE IMPORTED)
  target_link_libraries(tripminer::openblas INTERFACE PkgConfig::tripminer_OPENBLAS)
endif()

include("${CMAKE_CURRENT_LIST_DIR}/tripminerTargets.cmake")
check_required_components(tripminer)
