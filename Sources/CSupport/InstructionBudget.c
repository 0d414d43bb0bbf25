// The instruction budget's counter and the SIGINT handler that borrows it, in C so that the interpreter, compiled code and traces
// all reach it at one fixed address (see runtime/VM/InstructionBudget.swift).

#include "CSupport.h"
#include <signal.h>

int64_t perigee_instruction_budget = INT64_MAX;

volatile int perigee_interrupt_requested = 0;
int64_t perigee_interrupt_saved_budget = INT64_MAX;

static void perigee_interrupt(int signal_number) {
    (void)signal_number;
    signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process, as in lua.c
    perigee_interrupt_saved_budget = perigee_instruction_budget;
    perigee_interrupt_requested = 1;
    perigee_instruction_budget = INT64_MIN / 2;  // far below zero: no charge brings it back
}

void perigee_catch_interrupts(int on) {
    signal(SIGINT, on ? perigee_interrupt : SIG_DFL);
}
