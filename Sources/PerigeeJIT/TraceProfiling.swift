/// What `perigee profile` keeps of a compiled trace: its anchor and the instructions it
/// recorded, by function and instruction index (the profile names the functions).
import PerigeeRuntime

extension TraceJIT {
    func observed(_ recorder: TraceRecorder, number: Int, code: Result<ObservedTraceCode, TraceNotPortable>) -> ObservedTrace {
        func position(_ proto: ProtoRef, _ pc: UnsafePointer<UInt32>) -> (function: ObjectIdentifier, pc: Int) {
            (ObjectIdentifier(proto.source), pc - UnsafePointer(proto.pointee.bytecode))
        }
        let parent = recorder.parentExit.map { Int(vm.traces.exit($0).trace) }
        let anchor = recorder.anchor.map { position(recorder.proto, $0) }
        let path = recorder.bytecode.map { position($0.proto, $0.pc) }
        return ObservedTrace(number: number, parent: parent, anchor: anchor, path: path,
                             ending: String(ending(recorder).dropFirst()), code: code)
    }

    /// The trace's IR in portable form (`PortableTrace`), or why it cannot be.
    func portableCode(_ recorder: TraceRecorder, loopSnapshot: Int?, finalSnapshot: Int?, entryExit: Int,
                      budgetExit: Int?, gcExit: Int?) -> Result<ObservedTraceCode, TraceNotPortable> {
        var parentExit = 0
        if let exit = recorder.parentExit {
            guard let first = firstExits[Int(vm.traces.exit(exit).trace)] else { return .failure(TraceNotPortable("its parent has no code")) }
            parentExit = exit - first
        }
        var link: Int?
        if case .link(let target)? = recorder.end { link = target }
        var encoder = PortableTraceEncoder(vm: vm, ir: recorder.ir, protos: [recorder.proto] + recorder.bytecode.map { $0.proto })
        do {
            let lines = try encoder.encode(loopSnapshot: loopSnapshot, finalSnapshot: finalSnapshot, entryExit: entryExit,
                                           stackNeeded: recorder.stackNeeded, budgetCost: recorder.budgetCost,
                                           budgetExit: budgetExit, gcExit: gcExit, narrowedIndex: recorder.narrowedIndex,
                                           recursive: recorder.end == .recursion, loopStart: recorder.loopStart, failures: recorder.failures,
                                           yields: recorder.yields)
            return .success(ObservedTraceCode(functions: encoder.functions, lines: lines, parentExit: parentExit, link: link))
        } catch {
            return .failure(error)
        }
    }
}
