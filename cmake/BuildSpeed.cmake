# What keeps a first build short on a small machine.
#
# Precompiled headers: the standard-library and fmt headers that nearly every source includes are
# parsed once per target instead of once per source. SQLiteCpp is precompiled only for the library
# and CLI11 only for the command line (neither sees the other's). With -DCLAIMREG_PCH=OFF each
# source is compiled on its own headers alone, which shows a missing #include.
option(CLAIMREG_PCH "Precompile the common headers" ON)
# Unity groups: the sources of one group are compiled as one translation unit, so that code they
# all include (CLI11 is header-only) is compiled once per group instead of once per source. Names in
# the anonymous namespaces of one group's sources must differ. -DCLAIMREG_UNITY=OFF compiles every
# source on its own.
option(CLAIMREG_UNITY "Compile the grouped sources as one translation unit per group" ON)

set(CLAIMREG_PCH_COMMON
  <algorithm> <array> <chrono> <cstddef> <cstdint> <cstdio> <functional> <map> <memory>
  <optional> <span> <string> <string_view> <utility> <vector>
  <fmt/format.h>)

# Precompiles the common headers and those given for target.
function(claimreg_precompile target)
  if(CLAIMREG_PCH)
    target_precompile_headers(${target} PRIVATE ${CLAIMREG_PCH_COMMON} ${ARGN})
  endif()
endfunction()

# Uses the precompiled headers of from for target (the compile flags of the two must match).
function(claimreg_reuse_precompiled target from)
  if(CLAIMREG_PCH)
    target_precompile_headers(${target} REUSE_FROM ${from})
  endif()
endfunction()

# Compiles the given sources of target as one translation unit named group; a source of target in
# no group is compiled on its own.
function(claimreg_unity_group target group)
  if(CLAIMREG_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_MODE GROUP)
    set_source_files_properties(${ARGN} PROPERTIES UNITY_GROUP ${group})
  endif()
endfunction()

# Line tables only (-g1) in RelWithDebInfo: backtraces, sanitizer reports and profiles keep their
# files and lines, and a first build takes about a fifth less time than with full -g (the code
# generated is the same). -DCLAIMREG_LINE_TABLES=OFF gives the full -g.
option(CLAIMREG_LINE_TABLES "RelWithDebInfo with line tables only (-g1)" ON)
if(CLAIMREG_LINE_TABLES)
  string(REGEX REPLACE "(^| )-g( |$)" "\\1-g1\\2" CMAKE_CXX_FLAGS_RELWITHDEBINFO
         "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}")
endif()
