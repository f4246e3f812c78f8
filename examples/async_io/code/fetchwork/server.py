"""The example's server: answers each request after a fixed latency (standard library only).

Run as a script by ``fetchwork``: prints its port, serves on 127.0.0.1 until its standard
input closes (the process that started it closed it, or died), then exits.
"""

import asyncio
import hashlib
import sys
import threading


async def answer(reader, writer, latency_seconds: float) -> None:
    """One request per connection: "<size>\\n" and size bytes in, their SHA-256 out."""
    try:
        size = int(await reader.readline())
        data = await reader.readexactly(size)
        await asyncio.sleep(latency_seconds)
        writer.write(hashlib.sha256(data).digest())
        await writer.drain()
    finally:
        writer.close()


async def serve(latency_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()
    # A blocking read of stdin, in a thread: it returns at end of file.
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(closed.set)), daemon=True).start()
    server = await asyncio.start_server(
        lambda reader, writer: answer(reader, writer, latency_seconds), "127.0.0.1", 0, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await closed.wait()


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1])))
