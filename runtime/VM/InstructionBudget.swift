/// The instruction budget: `perigee --max-instructions=N`, or `PERIGEE_MAX_INSTRUCTIONS=N` in
/// the environment of a built executable, stops a program that runs past N with the error
/// "instruction limit exceeded".
///
/// Every engine charges at the same points, with the same costs (`budgetCost`): a loop edge
/// (FORL, ITERL, LOOP) costs the length of its jump in bytecode instructions, entering a Lua
/// function costs 1. Code between those points is straight-line and runs at most once per
/// charge, so the count follows the instructions a program runs without a counter on each.
/// (Traces add up their charges and pay them at their loop edge; the fast copies of built
/// loops pay theirs in batches of up to 4096 and wherever they leave: the counter is behind
/// by at most one batch while such a loop runs.)
/// The counter is `perigee_instruction_budget` (C, in CSupport, so compiled code and traces
/// reach it at one address): subtract the cost, and when it went negative call the slow path
/// (`instructionBudgetSpent`), which raises the error, or refills the counter when no limit
/// is set (it starts at Int64.max then, so that happens only after 2^63 charges).
///
/// The error is an ordinary Lua error (pcall catches it, as it catches "not enough memory"),
/// but the budget stays spent: the next loop edge or call fails again, and the command line
/// and built executables exit with status 1 even when a pcall caught it.
///
/// Ctrl-C borrows the same check: the SIGINT handler (CSupport) saves the counter and makes
/// it negative, and the slow path restores it and raises "interrupted!", so hot loops in
/// traces and compiled code stop as the interpreter's do, without a check of their own. A
/// charge that read the counter just before the handler wrote it stores over the handler's
/// value, so while the interrupt is pending a SIGALRM every 20 ms makes it negative again;
/// both signals are handled on the thread running Lua (another core's write would be lost
/// under a loop that does nothing but charge the counter).
import CSupport
import Glibc
import PerigeeFrontend

/// The environment variable a built executable reads its instruction limit from.
public let instructionLimitVariable = "PERIGEE_MAX_INSTRUCTIONS"

/// The error message of a spent budget.
public let instructionLimitMessage = "instruction limit exceeded"

/// The error message of Ctrl-C (SIGINT) while a chunk runs, as lua.c raises it.
public let interruptMessage = "interrupted!"

/// Catches the next SIGINT while `body` runs: Lua code then fails with "interrupted!" at its
/// next loop edge or function entry (in the interpreter, traces and compiled code alike).
public func catchingInterrupts<T>(_ body: () -> T) -> T {
    perigee_catch_interrupts(1)
    defer { perigee_catch_interrupts(0) }
    return body()
}

/// A count in `text`: digits with an optional `k`, `m` or `g` suffix (thousands, millions,
/// billions); nil for anything else, zero, or a count past `Int.max`.
public func parseInstructionCount(_ text: String) -> Int? {
    var digits = Substring(text)
    var scale = 1
    switch text.last {
    case "k", "K": scale = 1_000
    case "m", "M": scale = 1_000_000
    case "g", "G": scale = 1_000_000_000
    default: break
    }
    if scale > 1 { digits = digits.dropLast() }
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits), n > 0 else { return nil }
    let (count, overflow) = n.multipliedReportingOverflow(by: scale)
    return overflow ? nil : count
}

/// The limit `PERIGEE_MAX_INSTRUCTIONS` sets: 0 when it is not set, nil when it is malformed.
public func instructionLimitFromEnvironment() -> Int? {
    guard let raw = getenv(instructionLimitVariable) else { return 0 }
    return parseInstructionCount(String(cString: raw))
}

extension Instruction {
    /// What executing this instruction charges to the budget: 1 for a function header, the
    /// length of its jump for a loop edge (at least 1), nil for every other instruction.
    public var budgetCost: Int? {
        switch opcode {
        case .FUNCF, .IFUNCF, .JFUNCF, .FUNCV, .IFUNCV, .JFUNCV: return 1
        case .FORL, .IFORL, .JFORL, .ITERL, .IITERL, .JITERL, .LOOP, .ILOOP, .JLOOP: return loopCost
        default: return nil
        }
    }

    /// A loop instruction's charge: the length of its jump, at least 1.
    @inline(__always) var loopCost: Int { max(1, abs(jumpOffset)) }
}

/// Charges `cost` to the budget; true when that spent it (the caller takes its slow path).
@inline(__always) func spendInstructions(_ cost: Int) -> Bool {
    perigee_instruction_budget &-= Int64(cost)
    return perigee_instruction_budget < 0
}

extension LuaVM {
    /// The limit in force (0: none).
    public var instructionLimit: Int { instructionLimitSetting }

    /// Sets the limit (0: none) and fills the budget with it.
    public func setInstructionLimit(_ limit: Int) {
        instructionLimitSetting = limit
        instructionLimitReached = false
        perigee_instruction_budget = limit == 0 ? Int64.max : Int64(limit)
    }

    /// The slow path of every engine once the counter is negative: the error to raise (an
    /// interrupt's, or the limit's), or nil after a refill (no limit).
    func instructionBudgetSpent() -> String? {
        if perigee_interrupt_requested != 0 {
            perigee_interrupt_requested = 0
            perigee_instruction_budget = perigee_interrupt_saved_budget
            return interruptMessage
        }
        if instructionLimitSetting == 0 {
            perigee_instruction_budget = Int64.max
            return nil
        }
        perigee_instruction_budget = 0
        instructionLimitReached = true
        return instructionLimitMessage
    }
}

extension InterpreterRun {
    /// A loop instruction found the budget spent before doing its work: the limit's error,
    /// or (no limit) the same instruction again.
    @inline(never) mutating func loopBudgetSpent() -> CallStatus? {
        if let message = withVM({ $0.instructionBudgetSpent() }) { return frame.error(message) }
        pc -= 1
        return nil
    }

    /// A function entry found the budget spent: the limit's (or an interrupt's) error, or nil
    /// to go on.
    @inline(never) mutating func entryBudgetSpent() -> CallStatus? {
        if let message = withVM({ $0.instructionBudgetSpent() }) { return frame.error(message) }
        return nil
    }
}

/// The address of the budget's counter, for traces, which charge it inline (a C global does
/// not move).
public let instructionBudgetCounter: UnsafeMutablePointer<Int64> = withUnsafeMutablePointer(to: &perigee_instruction_budget) { $0 }
