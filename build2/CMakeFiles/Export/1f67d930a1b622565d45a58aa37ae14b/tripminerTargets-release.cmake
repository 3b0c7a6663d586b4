#----------------------------------------------------------------
# Generated CMake target import file for configuration "Release".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "tripminer::tripminer" for configuration "Release"
set_property(TARGET tripminer::tripminer APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(tripminer::tripminer PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "C"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libtripminer.a"
  )

list(APPEND _cmake_import_check_targets tripminer::tripminer )
list(APPEND _cmake_import_check_files_for_tripminer::tripminer "${_IMPORT_PREFIX}/lib/libtripminer.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
