// GNU readline and its history library (Debian: libreadline-dev), for the debugger's REPL.
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
