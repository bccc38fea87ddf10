#!/usr/bin/env python3
"""smtpd.py MODE CERT KEY USER PASSWORD DIR: a small SMTP relay on loopback for the tests, with what smtp-sink lacks:
TLS (MODE starttls: STARTTLS on a plain port; smtps: TLS from the first byte) and AUTH PLAIN and LOGIN, both required
before MAIL. It offers PIPELINING and notes, for each message, whether its MAIL, RCPT and DATA came in one write.
Prints its port on the first line of stdout; keeps each message as DIR/N.eml and a line of JSON per message in
DIR/log.jsonl (tls, user, pipelined)."""
import asyncio
import base64
import itertools
import json
import os
import ssl
import sys

MODE, CERT, KEY, USER, PASSWORD, DIR = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
counter = itertools.count(1)


def credentials_ok(user, password):
    return user == USER and password == PASSWORD


async def session(reader, writer):
    tls = MODE == "smtps"
    user = None
    rcpts = []
    sender = None

    async def reply(*lines):
        for i, line in enumerate(lines):
            writer.write(("%s%s%s\r\n" % (line[:3], "-" if i < len(lines) - 1 else " ", line[4:])).encode())
        await writer.drain()

    async def line():
        got = await reader.readline()
        if not got:
            raise ConnectionError("closed")
        return got.decode("utf-8", "replace").rstrip("\r\n")

    await reply("220 fixture ESMTP")
    try:
        while True:
            cmd = await line()
            verb = cmd.split(" ", 1)[0].upper()
            arg = cmd[len(verb) + 1:]
            if verb in ("EHLO", "HELO"):
                caps = ["250 fixture", "250 PIPELINING", "250 8BITMIME"]
                if not tls:
                    caps.append("250 STARTTLS")
                else:
                    caps.append("250 AUTH PLAIN LOGIN")
                caps.append("250 ENHANCEDSTATUSCODES")
                await reply(*caps)
            elif verb == "STARTTLS" and not tls:
                await reply("220 2.0.0 ready to start TLS")
                await writer.start_tls(ctx)
                tls = True
            elif verb == "AUTH":
                if not tls:
                    await reply("538 5.7.11 encryption required for AUTH")
                    continue
                mech, _, initial = arg.partition(" ")
                if mech.upper() == "PLAIN":
                    if not initial:
                        await reply("334 ")
                        initial = await line()
                    parts = base64.b64decode(initial).split(b"\0")
                    name, password = parts[1].decode(), parts[2].decode()
                elif mech.upper() == "LOGIN":
                    if initial:
                        name = base64.b64decode(initial).decode()
                    else:
                        await reply("334 VXNlcm5hbWU6")
                        name = base64.b64decode(await line()).decode()
                    await reply("334 UGFzc3dvcmQ6")
                    password = base64.b64decode(await line()).decode()
                else:
                    await reply("504 5.5.4 unknown mechanism")
                    continue
                if credentials_ok(name, password):
                    user = name
                    await reply("235 2.7.0 authenticated")
                else:
                    await reply("535 5.7.8 authentication failed")
            elif verb == "MAIL":
                # Pipelined when RCPT and DATA are already waiting behind MAIL.
                pipelined = b"DATA" in bytes(reader._buffer)
                if not user:
                    await reply("530 5.7.0 authentication required")
                    continue
                sender, rcpts = arg, []
                await reply("250 2.1.0 ok")
            elif verb == "RCPT":
                if sender is None:
                    await reply("503 5.5.1 MAIL first")
                    continue
                rcpts.append(arg)
                await reply("250 2.1.5 ok")
            elif verb == "DATA":
                if not rcpts:
                    await reply("554 5.5.1 no valid recipients")
                    continue
                await reply("354 end with a dot")
                body = []
                while True:
                    got = await reader.readline()
                    if not got:
                        raise ConnectionError("closed in DATA")
                    if got in (b".\r\n", b".\n"):
                        break
                    body.append(got[1:] if got.startswith(b".") else got)
                n = next(counter)
                with open(os.path.join(DIR, "%d.eml" % n), "wb") as f:
                    f.write(b"".join(body))
                with open(os.path.join(DIR, "log.jsonl"), "a") as f:
                    f.write(json.dumps({"n": n, "tls": tls, "user": user, "pipelined": pipelined, "rcpt": rcpts}) + "\n")
                sender, rcpts = None, []
                await reply("250 2.0.0 queued as %d" % n)
            elif verb == "RSET":
                sender, rcpts = None, []
                await reply("250 2.0.0 ok")
            elif verb == "NOOP":
                await reply("250 2.0.0 ok")
            elif verb == "QUIT":
                await reply("221 2.0.0 bye")
                break
            else:
                await reply("502 5.5.2 not implemented")
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", 0, ssl=ctx if MODE == "smtps" else None)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
