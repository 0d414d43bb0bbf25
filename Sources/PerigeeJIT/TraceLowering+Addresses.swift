/// Where a trace's code finds what lives at addresses of the process that runs it: the
/// runtime's cells (the exit frame, the loop rounds, the instruction budget, the global
/// state, a nil cell), the objects and code positions its constants name, and the numbers
/// of its exits.
///
/// The JIT compiles a trace in the process that runs it: all of these are immediates. A
/// trace compiled into an executable (`perigee build --profile`) cannot know them: its code
/// loads each from a table of 64-bit words, one per cell and one per constant payload, that
/// the executable fills when it installs the trace (`runtime/CompiledCode/CompiledTraces.swift`).
/// Those loads are marked invariant, so LLVM hoists them out of loops and merges repeats.
import CLLVM
import PerigeeCodegen
import PerigeeLLVM
import PerigeeRuntime

/// The runtime cells a trace's code uses, in the order of the first words of an installed
/// trace's table (the constants' payloads follow, by payload index).
public enum TraceCell: Int, CaseIterable {
    /// The number of the trace's exit 0 (exit n returns it plus n).
    case exitBase
    case exitFrame, loopRounds, budgetCounter, globalState, nilCell
    /// The entry of the trace the trace's end leads into (see `TraceLowering.linksDirectly`).
    case link

    /// The name the executable's trace descriptors use.
    public var name: String {
        switch self {
        case .exitBase: return "exitbase"
        case .exitFrame: return "exitframe"
        case .loopRounds: return "looprounds"
        case .budgetCounter: return "budget"
        case .globalState: return "global"
        case .nilCell: return "nilcell"
        case .link: return "link"
        }
    }
}

/// The words a JIT trace's exits read to call side traces themselves.
public typealias DirectExits = (links: UnsafeMutablePointer<UInt>, rounds: UnsafeMutablePointer<UInt>,
                                compiledWaiting: UnsafeMutablePointer<UInt8>)

/// How a trace's code reaches the process's addresses.
public enum TraceAddressing {
    /// Compiled where it runs (the JIT): the cells' addresses and the first exit's number.
    /// `directExits`: the words the exits read for a side trace to call themselves, one per
    /// exit, and the word where such exits add the loop's rounds (`TraceExit.directLink`).
    /// `compiledWaiting`: the trace table's byte that says compiled code waits to be
    /// installed, while which exits go back to the trampoline (which installs it).
    /// `runs`: a word the trace adds one to each time it is entered (nil: it counts nothing).
    case process(exitFrame: UnsafeMutablePointer<Int>, loopRounds: UnsafeMutablePointer<Int>?, global: GlobalRef,
                 firstExit: Int, link: TraceEntry? = nil,
                 directExits: DirectExits? = nil,
                 runs: UnsafeMutablePointer<UInt>? = nil)
    /// Compiled ahead of time: through the table named `symbol`, of `TraceCell.allCases.count`
    /// words plus one per constant payload; `links`: the trace's end leads into another.
    case table(symbol: String, links: Bool)

    /// The table's word for the payload at `index` (`TraceIR.payload`'s index).
    public static func payloadWord(_ index: Int) -> Int { TraceCell.allCases.count + index }
}

extension TraceLowering {
    /// The table of an ahead-of-time trace (made on first use).
    private func table(_ symbol: String) -> LLVMValueRef {
        if let table = addressTable { return table }
        let words = TraceAddressing.payloadWord(ir.payloadCount)
        let type = cx.arrayType(cx.i64, words)
        let table = module.addSharedZeroedVariable(symbol, type)
        addressTable = table
        return table
    }

    /// Word `index` of the table, loaded as invariant.
    private func word(_ symbol: String, _ index: Int) -> LLVMValueRef {
        let address = b.gep(cx.i64, b.pointerCast(table(symbol), rt.i64p), [i64(index)])
        return b.invariantLoad(cx.i64, address)
    }

    /// The address (as 64 bits) of runtime cell `cell`.
    func cellBits(_ cell: TraceCell) -> LLVMValueRef {
        switch addressing {
        case .table(let symbol, _):
            return word(symbol, cell.rawValue)
        case .process(let exitFrame, let loopRounds, let global, let firstExit, let link, _, _):
            switch cell {
            case .exitBase: return i64(firstExit)
            case .exitFrame: return bits(UInt64(UInt(bitPattern: exitFrame)))
            case .loopRounds: return bits(UInt64(UInt(bitPattern: loopRounds!)))
            case .budgetCounter: return bits(UInt64(UInt(bitPattern: instructionBudgetCounter)))
            case .globalState: return bits(UInt64(UInt(bitPattern: UnsafeMutableRawPointer(global))))
            case .nilCell: return bits(UInt64(UInt(bitPattern: LuaVM.traceNilCell)))
            case .link: return bits(UInt64(UInt(bitPattern: unsafeBitCast(link!, to: UnsafeRawPointer.self))))
            }
        }
    }

    /// Runtime cell `cell` as a pointer to 64-bit words.
    func cellPointer(_ cell: TraceCell) -> LLVMValueRef { b.intToPtr(cellBits(cell), rt.i64p) }

    /// The payload of KGC or KPTR constant `ref` (an object's address, a code position, a
    /// frame link).
    func payloadBits(_ ref: IRRef) -> LLVMValueRef {
        switch addressing {
        case .process: return bits(ir.payload(ref))
        case .table(let symbol, _): return word(symbol, TraceAddressing.payloadWord(Int(ir[ref].op1)))
        }
    }

    /// The number exit `index` returns.
    func exitNumber(_ index: Int) -> LLVMValueRef {
        if case .process(_, _, _, let firstExit, _, _, _) = addressing { return i64(firstExit + index) }
        return b.add(cellBits(.exitBase), i64(index))
    }

    /// Whether the trace's exits report its loop's rounds.
    var reportsLoopRounds: Bool {
        switch addressing {
        case .process(_, let loopRounds, _, _, _, _, _): return loopRounds != nil
        case .table: return loopSnapshot != nil
        }
    }

    /// The global state, for the C data instructions (which only the JIT compiles: their C
    /// types are numbered by the process).
    var global: GlobalRef {
        guard case .process(_, _, let global, _, _, _, _) = addressing else { preconditionFailure("C data in an ahead-of-time trace") }
        return global
    }

    /// Whether the trace's end calls the trace it leads into itself (a tail call), instead of
    /// returning to the interpreter's trampoline, which would call it: a side trace going
    /// back into its loop costs a call, not a return, a trip round the trampoline and a call.
    /// (The trampoline still counts such re-entries: it sees the loop's trace leave again.)
    var linksDirectly: Bool {
        switch addressing {
        case .process(_, _, _, _, let link, _, _): return link != nil && !recursive && finalSnapshot != nil
        case .table(_, let links): return links && !recursive && finalSnapshot != nil
        }
    }

    /// Counts the trace's run in its `runs` word, when it has one.
    func countRun() {
        guard case .process(_, _, _, _, _, _, let runs?) = addressing else { return }
        let word = b.intToPtr(bits(UInt64(UInt(bitPattern: runs))), rt.i64p)
        b.store(b.add(b.load(cx.i64, word), i64(1)), word)
    }

    /// The exits' direct-link words, when the trace's exits may call side traces themselves:
    /// only in the JIT (an executable has no side traces), and not where an exit makes
    /// objects (a 64-bit integer's cdata), which the trampoline must let the collector see.
    var directExits: DirectExits? {
        guard case .process(_, _, _, _, _, let direct, _) = addressing, let direct else { return nil }
        if ir.instructions.contains(where: { TraceLowering.isInteger64($0.type) || $0.op == .CREF }) { return nil }
        return direct
    }

    /// An exit's last step: when its word names a side trace (`directExits`), it calls that
    /// on the exit's frame and returns what it returns; otherwise it returns its number to
    /// the trampoline. The loop's rounds, which the trampoline would have counted, are
    /// added up in the trace's rounds word. While compiled code waits to be installed every
    /// exit returns: traces that call each other in a ring never come back to the
    /// trampoline otherwise, and code compiled again for one of them (`reoptimize`) would
    /// wait for the program's end.
    func leaveExit(number: LLVMValueRef, frame: LLVMValueRef, rounds: LLVMValueRef?) {
        // What the trampoline reads: the frame the exit leaves in and the loop's rounds (a
        // side trace called here is given the frame, and its own exits tell the rest).
        func returnToTrampoline() {
            b.store(frame, cellPointer(.exitFrame))
            if let rounds { b.store(rounds, cellPointer(.loopRounds)) }
            b.ret(number)
        }
        guard let direct = directExits, case .process(_, _, _, let firstExit, _, _, _) = addressing else {
            returnToTrampoline()
            return
        }
        let words = b.intToPtr(bits(UInt64(UInt(bitPattern: direct.links))), rt.i64p)
        let word = b.gep(cx.i64, words, [b.sub(number, i64(firstExit))])
        let target = b.load(cx.i64, word)
        let waitingCell = b.intToPtr(bits(UInt64(UInt(bitPattern: direct.compiledWaiting))), cx.pointer(to: cx.i8))
        let nothingWaits = b.icmp(LLVMIntEQ, b.load(cx.i8, waitingCell), cx.constant(0, cx.i8))
        let call = newBlock("linked"), back = newBlock("back")
        b.condBr(b.and(b.icmp(LLVMIntNE, target, i64(0)), nothingWaits), call, back)
        b.position(atEndOf: back)
        returnToTrampoline()
        b.position(atEndOf: call)
        if let rounds {
            let total = b.intToPtr(bits(UInt64(UInt(bitPattern: direct.rounds))), rt.i64p)
            b.store(b.add(b.load(cx.i64, total), rounds), total)
        }
        let type = cx.function(cx.i64, [rt.i8p, cx.i64])
        let linked = b.call(type, b.intToPtr(target, cx.pointer(to: type)), [thread, frame])
        b.setTailCall(linked)
        b.ret(linked)
    }

    /// The end of a trace that leads into another: its state written, it calls that trace
    /// on the exit's frame and returns what it returns.
    func leaveIntoLinkedTrace(frame: LLVMValueRef) {
        b.store(frame, cellPointer(.exitFrame))
        let type = cx.function(cx.i64, [rt.i8p, cx.i64])
        let call = b.call(type, b.intToPtr(cellBits(.link), cx.pointer(to: type)), [thread, frame])
        b.setTailCall(call)
        b.ret(call)
    }
}
