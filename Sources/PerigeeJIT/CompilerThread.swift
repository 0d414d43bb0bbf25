/// The JIT's compiler thread: finished recordings go in, machine code comes out, while the
/// interpreter keeps running on the other core. A job touches only what it was given (the
/// trace IR and plain numbers) and LLVM, never the Lua state; its result waits in the
/// finished list until the interpreter's thread collects it at a safe point and installs
/// the trace.
#if canImport(Glibc)
import Glibc
#endif

final class CompilerThread {
    /// Work for the thread: compiles one trace and answers what to install (run later on
    /// the interpreter's thread).
    typealias Job = () -> (() -> Void)

    private var queue: [Job] = []
    /// Jobs that run only while `queue` is empty, once a counter the running code adds to
    /// has reached its threshold (recompiling a trace that runs often, with better code):
    /// new traces never wait behind more than the one running. The thread looks at the
    /// counters every `pollNanoseconds` while some wait.
    private var background: [(counter: UnsafePointer<UInt>, threshold: UInt, job: Job)] = []
    private static let pollNanoseconds = 2_000_000
    private var finished: [() -> Void] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let idle = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread: pthread_t?
    private var busy = false
    private var stopping = false
    /// Non-zero when finished work waits: one plain load for the interpreter's polls (the
    /// trace table's `compiledWaiting` word, which the trampoline reads too).
    private let finishedFlag: UnsafeMutablePointer<UInt8>
    var hasFinished: Bool { finishedFlag.pointee != 0 }

    init(finishedFlag: UnsafeMutablePointer<UInt8>) {
        self.finishedFlag = finishedFlag
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(idle, nil)
    }

    deinit {
        if let thread {
            locked {
                stopping = true
                pthread_cond_signal(wake)
            }
            pthread_join(thread, nil)
        }
        pthread_cond_destroy(wake)
        pthread_cond_destroy(idle)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        idle.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// Queues `job`; the thread starts with the first one.
    func submit(_ job: @escaping Job) {
        locked {
            queue.append(job)
            pthread_cond_signal(wake)
        }
        if thread == nil { start() }
        // No thread (it could not start): the job runs here.
        if thread == nil {
            let job = locked { queue.removeFirst() }
            let install = job()
            locked {
                finished.append(install)
                finishedFlag.pointee = 1
            }
        }
    }

    /// Queues `job` behind everything else, to run when the thread has nothing more urgent
    /// and `counter` has reached `threshold` (read without synchronization: a count that is
    /// late by a little changes nothing); never run without the thread.
    func submitInBackground(when counter: UnsafePointer<UInt>, reaches threshold: UInt, _ job: @escaping Job) {
        guard thread != nil else { return }
        locked {
            background.append((counter, threshold, job))
            pthread_cond_signal(wake)
        }
    }

    /// Forgets the background jobs waiting (their traces are gone).
    func dropBackground() { locked { background.removeAll() } }

    /// The background job whose counter has gone furthest past its threshold, taken out of
    /// the list (nil: none is due). Called with the lock held.
    private func dueBackgroundJob() -> Job? {
        var best: Int?
        var bestCount: UInt = 0
        for (n, candidate) in background.enumerated() {
            let count = candidate.counter.pointee
            if count >= candidate.threshold && count >= bestCount {
                best = n
                bestCount = count
            }
        }
        return best.map { background.remove(at: $0).job }
    }

    /// Waits on `wake` for at most `nanoseconds`. Called with the lock held.
    private func wait(nanoseconds: Int) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var until = timespec(tv_sec: now.tv_sec, tv_nsec: now.tv_nsec + nanoseconds)
        if until.tv_nsec >= 1_000_000_000 {
            until.tv_sec += 1
            until.tv_nsec -= 1_000_000_000
        }
        pthread_cond_timedwait(wake, mutex, &until)
    }

    /// Jobs queued or running (not counting background jobs waiting).
    var pending: Int { locked { queue.count + (busy ? 1 : 0) } }

    /// The installations of every finished job, in the order the jobs were submitted.
    func collect() -> [() -> Void] {
        locked {
            let done = finished
            finished.removeAll()
            finishedFlag.pointee = 0
            return done
        }
    }

    /// Drops the queued jobs and waits for the running one (before the process exits: LLVM
    /// must not be compiling while it tears down).
    func cancel() {
        locked {
            queue.removeAll()
            background.removeAll()
            while busy { pthread_cond_wait(idle, mutex) }
        }
    }

    private func start() {
        var created = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()
        let status = pthread_create(&created, nil, { context in
            Unmanaged<CompilerThread>.fromOpaque(context!).takeUnretainedValue().run()
            return nil
        }, context)
        if status == 0 { thread = created }
    }

    private func run() {
        while true {
            pthread_mutex_lock(mutex)
            var due: Job?
            while queue.isEmpty && !stopping {
                due = dueBackgroundJob()
                if due != nil { break }
                if background.isEmpty { pthread_cond_wait(wake, mutex) } else { wait(nanoseconds: CompilerThread.pollNanoseconds) }
            }
            if stopping {
                pthread_mutex_unlock(mutex)
                return
            }
            let job = due ?? queue.removeFirst()
            busy = true
            pthread_mutex_unlock(mutex)
            let install = job()
            locked {
                finished.append(install)
                finishedFlag.pointee = 1
                busy = false
                pthread_cond_broadcast(idle)
            }
        }
    }
}
