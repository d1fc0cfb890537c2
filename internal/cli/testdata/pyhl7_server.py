#!/usr/bin/python3
"""An MLLP server written with python-hl7 (Debian's python3-hl7), for Courier's interoperability
test: it writes each message it receives to OUT_DIR/<n>.hl7 and answers with python-hl7's own
acknowledgement (Message.create_ack). Usage: pyhl7_server.py PORT OUT_DIR"""
import asyncio
import os
import sys

import hl7
from hl7.mllp import start_hl7_server

PORT, OUT = int(sys.argv[1]), sys.argv[2]
count = 0


async def handle(reader, writer):
    global count
    try:
        while not writer.is_closing():
            msg = await reader.readmessage()
            count += 1
            with open(os.path.join(OUT, "%06d.hl7" % count), "w", newline="") as f:
                f.write(str(msg))
            writer.writemessage(msg.create_ack())
            await writer.drain()
    except asyncio.IncompleteReadError:
        pass
    finally:
        writer.close()


async def main():
    async with await start_hl7_server(handle, host="127.0.0.1", port=PORT) as server:
        print("ready", flush=True)
        await server.serve_forever()


asyncio.run(main())
