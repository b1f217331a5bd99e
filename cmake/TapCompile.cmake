# Warnings and sanitizers shared by every tap target: call tap_target_defaults(target).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

function(tap_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                         -Wno-missing-field-initializers)
  if(TAP_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${TAP_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${TAP_SANITIZE})
  endif()
  if(TAP_FUZZ)
    # Coverage instrumentation for libFuzzer in every library, so the fuzzers see the code
    # they exercise, not just their entry points.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# tap_add_tool(name SOURCES ... LIBS ...): a thin main installed to bin/.
function(tap_add_tool name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  tap_target_defaults(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()
