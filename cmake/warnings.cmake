# Strict warnings for every weft target; -Werror when WEFT_WERROR is on.
function(weft_apply_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter -Wno-missing-field-initializers)
  if(WEFT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
