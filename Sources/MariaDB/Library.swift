internal import CMariaDB

// Connector/C keeps process-wide state that must be set up before any thread opens a connection.
// A Swift global initialiser runs exactly once, under a lock, on first use.
private let libraryStatus: Int32 = mysql_server_init(0, nil, nil)

/// Initialises Connector/C once per process; safe to call from any thread, any number of times.
///
/// Call it on the main thread before starting worker threads. `Connection.init` calls it as well, so a
/// forgotten call still initialises the library exactly once.
public func libraryInit() throws(MariaDBError) {
    if libraryStatus != 0 {
        throw .client(code: Int(libraryStatus), message: "mysql_library_init failed")
    }
}

/// Prepares the calling thread for Connector/C. Each worker thread calls `MariaDB.threadInit()` once before it
/// opens its `Connection`, and `MariaDB.threadEnd()` after its last connection is closed, just before it exits.
public func threadInit() {
    _ = mysql_thread_init()
}

/// Releases the calling thread's Connector/C state; see `threadInit()`.
public func threadEnd() {
    mysql_thread_end()
}
