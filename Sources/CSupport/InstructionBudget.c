// The instruction budget's counter and the SIGINT handler that borrows it, in C so that the
// interpreter, compiled code and traces all reach it at one fixed address (see
// runtime/VM/InstructionBudget.swift).

#include "CSupport.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

int64_t perigee_instruction_budget = INT64_MAX;

// The interned string "__index" as a value (set by a built executable's start), for
// compiled code that reads inherited fields inline (perigee build --profile).
uint64_t perigee_index_name = 0;
// The address of the string metatable's slot in the global state (likewise), for compiled
// code that reads string methods (`s:byte()`) through it inline.
uint64_t perigee_string_metatable_slot = 0;

volatile int perigee_interrupt_requested = 0;
int64_t perigee_interrupt_saved_budget = INT64_MAX;

// Far below zero: no charge brings the counter back above it.
#define INTERRUPTED_BUDGET (INT64_MIN / 2)

// The thread running Lua code. Signals are handled there: another core's write to the
// counter is lost under the loop's own read-modify-write of it, and a signal taken
// between two of this thread's instructions is not.
static pthread_t lua_thread;

// True when the signal was sent on to the Lua thread instead.
static int forwarded(int signal_number) {
    if (pthread_equal(pthread_self(), lua_thread)) return 0;
    pthread_kill(lua_thread, signal_number);
    return 1;
}

// Makes the counter negative again every 20 ms while the interrupt is pending: a charge
// that read the counter just before the handler wrote it stores its own value over it.
static void perigee_interrupt_reminder(int signal_number) {
    if (!perigee_interrupt_requested || forwarded(signal_number)) return;
    perigee_instruction_budget = INTERRUPTED_BUDGET;
    struct itimerval again = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &again, NULL);
}

static void perigee_interrupt(int signal_number) {
    if (forwarded(signal_number)) return;
    signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process, as in lua.c
    perigee_interrupt_saved_budget = perigee_instruction_budget;
    perigee_interrupt_requested = 1;
    struct sigaction reminder;
    memset(&reminder, 0, sizeof reminder);
    reminder.sa_handler = perigee_interrupt_reminder;
    reminder.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &reminder, NULL);
    perigee_interrupt_reminder(SIGALRM);
}

void perigee_catch_interrupts(int on) {
    lua_thread = pthread_self();
    signal(SIGINT, on ? perigee_interrupt : SIG_DFL);
}
