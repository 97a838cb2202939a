# SPDX-License-Identifier: Apache-2.0
# Warning flags shared by every target we compile (gcc and clang).
set(IOT_WARNING_FLAGS -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-align -Wwrite-strings
    -Wstrict-prototypes -Wmissing-prototypes -Wundef -Wformat=2 -Wvla)
if(IOT_WERROR)
  list(APPEND IOT_WARNING_FLAGS -Werror)
endif()

# The portable core must also be plain ISO C.
set(IOT_CORE_FLAGS ${IOT_WARNING_FLAGS} -pedantic)
