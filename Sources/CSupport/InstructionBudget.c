// The instruction budget's counter, in C so that the interpreter, compiled code and traces
// all reach it at one fixed address (see runtime/VM/InstructionBudget.swift).

#include "CSupport.h"

int64_t perigee_instruction_budget = INT64_MAX;
