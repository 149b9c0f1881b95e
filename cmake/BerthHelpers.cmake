# One way to declare each kind of target, so that every library and test gets the same
# warnings, sanitizers and include paths (after Abseil's AbseilHelpers.cmake).

# No -Wnull-dereference: at -O2 GCC 12 reports it inside libstdc++'s own stream iterators, so
# a release build failed on code that is correct.
set(BERTH_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wimplicit-fallthrough -Wno-missing-field-initializers)

function(berth_apply_options target)
  target_compile_options(${target} PRIVATE ${BERTH_WARNINGS})
  if(BERTH_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# berth_library(NAME name SRCS ... DEPS ...): the library `berth_<name>`.
function(berth_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(berth_${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(berth_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(berth_${ARG_NAME} PUBLIC ${ARG_DEPS})
  berth_apply_options(berth_${ARG_NAME})
endfunction()

# berth_test(NAME name SRCS ... DEPS ... LABELS unit|integration): a GoogleTest binary
# registered with CTest under its label.
function(berth_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  berth_apply_options(${ARG_NAME})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
endfunction()
