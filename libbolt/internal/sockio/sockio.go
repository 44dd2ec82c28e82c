// Package sockio holds socket writes that must never wait: the ones made from a thread
// that has other sockets to serve (a WebSocket writer round, a stream chunk written from
// inside bolt_respond on Python's thread).
package sockio

import "syscall"

// WriteNow writes b to the socket behind rc without waiting for it: it stops at the first
// EAGAIN (a full socket buffer) or error and returns what the kernel took. The caller
// hands the rest to a goroutine that may wait.
func WriteNow(rc syscall.RawConn, b []byte) (n int, err error) {
	werr := rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			if e == syscall.EINTR {
				continue
			}
			if e == syscall.EAGAIN {
				break
			}
			if e != nil {
				err = e
				break
			}
			n += m
		}
		return true // never park on the poller: done is done
	})
	if err == nil {
		err = werr
	}
	return n, err
}
