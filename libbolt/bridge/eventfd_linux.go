package bridge

import (
	"encoding/binary"
	"syscall"
)

// EventFD is a Linux eventfd used as a level-triggered "queue is not empty" flag that the
// asyncio loop watches with add_reader.
type EventFD struct{ fd int }

// NewEventFD creates a non-blocking, close-on-exec eventfd.
func NewEventFD() (*EventFD, error) {
	fd, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return nil, errno
	}
	return &EventFD{fd: int(fd)}, nil
}

// FD returns the descriptor for the loop to watch.
func (e *EventFD) FD() int { return e.fd }

var one = binary.NativeEndian.AppendUint64(nil, 1)

// Wake makes the descriptor readable.
func (e *EventFD) Wake() {
	for {
		_, err := syscall.Write(e.fd, one)
		if err != syscall.EINTR {
			return
		}
	}
}

// Reset makes the descriptor unreadable again (EAGAIN when already clear is fine).
func (e *EventFD) Reset() {
	var buf [8]byte
	for {
		_, err := syscall.Read(e.fd, buf[:])
		if err != syscall.EINTR {
			return
		}
	}
}

// Close releases the descriptor.
func (e *EventFD) Close() error { return syscall.Close(e.fd) }
