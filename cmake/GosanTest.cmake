# SPDX-License-Identifier: MIT
#
# gosan_add_test: a CTest test that runs a program under `gosan run`, so
# that it fails on any gosan report (data race, goroutine leak, deadlock,
# lock-order inversion, misuse) and leaves a JUnit file for CI.
#
#   gosan_add_test(<name> COMMAND <program-or-target> [<arg>...]
#                  [JUNIT <file>] [JSON <file>] [SARIF <file>]
#                  [SUPPRESSIONS <file>] [TIMEOUT <seconds>]
#                  [WORKING_DIRECTORY <dir>])
#
# JUNIT defaults to ${GOSAN_JUNIT_DIR}/<name>.xml, GOSAN_JUNIT_DIR to
# ${CMAKE_BINARY_DIR}/gosan-junit: one directory that CI uploads whole.
# TIMEOUT is gosan's hang timeout (the program is stopped and reported
# after it); CTest's own timeout is set 30 s beyond it. The test passes
# when the program exits 0 and gosan reported nothing: `gosan run` exits
# with the report status (66) otherwise.
#
# Code compiled with -fsanitize=thread (and linked with gosan::gosan, not
# libtsan) also gets its data races checked; other programs get the
# blocking-bug detectors and the pthread interposer.

function(gosan_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg ""
    "JUNIT;JSON;SARIF;SUPPRESSIONS;TIMEOUT;WORKING_DIRECTORY" "COMMAND")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "gosan_add_test(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_COMMAND)
    message(FATAL_ERROR "gosan_add_test(${name}): COMMAND is required")
  endif()
  if(NOT TARGET gosan::launcher)
    message(FATAL_ERROR "gosan_add_test(${name}): the gosan launcher is not "
      "known here (find_package(gosan) first)")
  endif()
  if(NOT DEFINED GOSAN_JUNIT_DIR)
    set(GOSAN_JUNIT_DIR ${CMAKE_BINARY_DIR}/gosan-junit)
  endif()
  if(NOT arg_JUNIT)
    set(arg_JUNIT ${GOSAN_JUNIT_DIR}/${name}.xml)
  endif()
  get_filename_component(junit_dir ${arg_JUNIT} DIRECTORY)
  file(MAKE_DIRECTORY ${junit_dir})

  set(cmd $<TARGET_FILE:gosan::launcher> run --junit ${arg_JUNIT})
  foreach(opt JSON SARIF SUPPRESSIONS TIMEOUT)
    if(arg_${opt})
      string(TOLOWER ${opt} flag)
      list(APPEND cmd --${flag} ${arg_${opt}})
    endif()
  endforeach()
  # A target name as the program means its file, as add_test would take it.
  list(POP_FRONT arg_COMMAND program)
  if(TARGET ${program})
    set(program $<TARGET_FILE:${program}>)
  endif()
  list(APPEND cmd -- ${program} ${arg_COMMAND})

  if(arg_WORKING_DIRECTORY)
    add_test(NAME ${name} COMMAND ${cmd}
      WORKING_DIRECTORY ${arg_WORKING_DIRECTORY})
  else()
    add_test(NAME ${name} COMMAND ${cmd})
  endif()
  if(arg_TIMEOUT)
    math(EXPR ctest_timeout "${arg_TIMEOUT} + 30")
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ctest_timeout})
  endif()
endfunction()
