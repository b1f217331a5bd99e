# Test helpers. Labels: unit, cli, bpf, compat, fuzz (docs/testing.md).
include(CMakeParseArguments)
include(GoogleTest)

# tap_add_gtest(name SOURCES ... LIBS ... LABELS ... [SERIAL]): one GoogleTest binary, its tests
# discovered when ctest runs. SERIAL marks tests that must not run beside others (real BPF).
function(tap_add_gtest name)
  cmake_parse_arguments(T "SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  find_package(GTest REQUIRED)
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} tap_test_common GTest::gtest GTest::gmock GTest::gtest_main)
  tap_target_defaults(${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  # Values must not contain ';' here: gtest_discover_tests flattens PROPERTIES into one list,
  # so a list-valued property would shift every pair after it. (The tests find the source and
  # build trees through tap_test_common's compiled-in paths.)
  set(props LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
  if(T_SERIAL)
    list(APPEND props RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES ${props})
endfunction()

# tap_add_fuzzer(name SOURCES ... LIBS ... CORPUS dir): a libFuzzer target when TAP_FUZZ is on;
# in every build the same entry point links into a plain driver that replays the committed
# corpus as the ctest test <name>_corpus (label fuzz).
function(tap_add_fuzzer name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${name}_replay ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_driver.cpp)
  target_link_libraries(${name}_replay PRIVATE ${F_LIBS})
  tap_target_defaults(${name}_replay)
  add_test(NAME ${name}_corpus COMMAND ${name}_replay ${F_CORPUS})
  set_tests_properties(${name}_corpus PROPERTIES LABELS fuzz TIMEOUT 600)
  if(TAP_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  endif()
endfunction()
