/// What `perigee profile` keeps of a compiled trace: its anchor and the instructions it
/// recorded, by function and instruction index (the profile names the functions).
import PerigeeRuntime

extension TraceJIT {
    func observed(_ recorder: TraceRecorder, number: Int) -> ObservedTrace {
        func position(_ proto: ProtoRef, _ pc: UnsafePointer<UInt32>) -> (function: ObjectIdentifier, pc: Int) {
            (ObjectIdentifier(proto.source), pc - UnsafePointer(proto.pointee.bytecode))
        }
        let parent = recorder.parentExit.map { Int(vm.traces.exit($0).trace) }
        let anchor = recorder.anchor.map { position(recorder.proto, $0) }
        let path = recorder.bytecode.map { position($0.proto, $0.pc) }
        return ObservedTrace(number: number, parent: parent, anchor: anchor, path: path,
                             ending: String(ending(recorder).dropFirst()))
    }
}
