# /dev/counter from Python, through devfs: the file calls of any Linux program.
import fcntl
import os
import select
import struct
import sys

def default_mount():  # where devfs mounts when not told (dev:mounts says where it is)
    if os.getuid() == 0:
        return "/run/devhost/dev"
    if os.environ.get("XDG_RUNTIME_DIR", "").startswith("/"):
        return os.environ["XDG_RUNTIME_DIR"] + "/devhost/dev"
    return "/tmp/devhost-%d/devhost/dev" % os.getuid()


dev = sys.argv[1] if len(sys.argv) > 1 else default_mount()
RESET = 0x00006B01  # _IO('k', 1), Counter.RESET
GET = 0x80086B02    # _IOR('k', 2, long), Counter.GET

fd = os.open(dev + "/counter", os.O_RDWR)
print("count:", os.pread(fd, 32, 0).decode().strip())
os.write(fd, b"4")
value = bytearray(8)
fcntl.ioctl(fd, GET, value)  # the driver writes a long into value
print("GET:", struct.unpack("=q", value)[0])  # "=": native byte order, as devfs hands it over
watch = select.poll()
watch.register(fd, select.POLLIN)
print("readable before:", bool(watch.poll(0)))  # GET did not read the text; the count changed since
os.pread(fd, 32, 0)
print("readable after a read:", bool(watch.poll(0)))
fcntl.ioctl(fd, RESET)
print("readable after RESET:", bool(watch.poll(5000)))
print("count:", os.pread(fd, 32, 0).decode().strip())
os.close(fd)
