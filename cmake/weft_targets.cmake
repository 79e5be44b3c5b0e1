# add_provider(name): compile prov/<name>/*.c into libfabric.so. The provider
# registers itself through its descriptor (WEFT_PROVIDER in core/prov.h), so
# nothing else in the tree names it.
macro(add_provider name)
  file(GLOB _weft_prov_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/prov/${name}/*.c)
  target_sources(weft_objs PRIVATE ${_weft_prov_src})
endmacro()

# add_weft_test(name source [UNIT] [TIMEOUT s] [LABELS ...]): one executable,
# one ctest entry, run in its own process with a timeout. Exit 77 means
# "skipped". UNIT tests link weft's objects directly (internal functions);
# all others link libfabric.so.1 and use only the public API.
function(add_weft_test name src)
  cmake_parse_arguments(T "UNIT" "TIMEOUT" "LABELS" ${ARGN})
  add_executable(${name} ${src})
  if(T_UNIT)
    target_link_libraries(${name} PRIVATE weft_objs weft_testlib Threads::Threads rt)
    target_compile_definitions(${name} PRIVATE _GNU_SOURCE)
  else()
    target_link_libraries(${name} PRIVATE fabric weft_testlib Threads::Threads)
  endif()
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  weft_apply_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} SKIP_RETURN_CODE 77
    LABELS "${T_LABELS}"
    ENVIRONMENT "LD_LIBRARY_PATH=${CMAKE_BINARY_DIR}")
endfunction()
