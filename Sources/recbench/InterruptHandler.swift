import Foundation

/// First Ctrl-C: cancel the run (trials in flight stop at their next check, finished ones are
/// cached). Second Ctrl-C: exit at once. Signals are taken off the main thread, which is busy running.
final class InterruptHandler: @unchecked Sendable {
    private let source: DispatchSourceSignal
    private let lock = NSLock()
    private var count = 0

    init(onFirst: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue.global())
        source.setEventHandler { [unowned self] in
            self.lock.lock(); self.count += 1; let n = self.count; self.lock.unlock()
            if n == 1 {
                FileHandle.standardError.write(
                    Data("\nstopping after the trials in flight… (Ctrl-C again to abort)\n".utf8))
                onFirst()
            } else {
                Foundation.exit(130)
            }
        }
        source.resume()
    }

    deinit { source.cancel() }
}
