import Foundation

/// The results table's width: the terminal's when standard output is one, else `$COLUMNS`, else unlimited
/// (a file or a pipe keeps whole lines).
func consoleWidth() -> Int? {
    var size = winsize()
    if isatty(1) != 0, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c > 0 { return c }
    return nil
}
