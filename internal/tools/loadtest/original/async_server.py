"""The baseline gateway of the load test: a reconstruction of the original
Python system's async_server.py from its README (ports, protocol, messages,
file names). It reads an image from the client, with no length, until the
bytes end as an image ends; converts it to grayscale; has the scale server
resize it; saves it in scaled_images/ under a timestamp name; answers with
the link; and serves the folder over HTTP with aiohttp. As in the original,
Pillow's work runs on the asyncio event loop.

Usage: python3 async_server.py --ip IP --port PORT [--http-port 8082] [--scaler-port 8001]
"""
import argparse
import asyncio
import io
import os
import struct
import time

from aiohttp import web
from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("--ip", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8080)
parser.add_argument("--http-port", type=int, default=8082)
parser.add_argument("--scaler-port", type=int, default=8001)
args = parser.parse_args()
FOLDER = "scaled_images"
os.makedirs(FOLDER, exist_ok=True)
ENDINGS = (b"\xff\xd9", b"IEND\xaeB`\x82")


async def handle(reader, writer):
    try:
        print("Cliente conectado.")
        data = b""
        while not data.endswith(ENDINGS):
            chunk = await reader.read(65536)
            if not chunk:
                break
            data += chunk
        print(f"Recibido {len(data)} bytes de la imagen del cliente.")
        gray = Image.open(io.BytesIO(data)).convert("L")
        buf = io.BytesIO()
        gray.save(buf, format="JPEG")
        sreader, swriter = await asyncio.open_connection("127.0.0.1", args.scaler_port)
        swriter.write(struct.pack(">I", buf.tell()) + buf.getvalue())
        await swriter.drain()
        (size,) = struct.unpack(">I", await sreader.readexactly(4))
        scaled = await sreader.readexactly(size)
        swriter.close()
        name = f"scaled_image_{int(time.time())}.jpg"
        with open(os.path.join(FOLDER, name), "wb") as f:
            f.write(scaled)
        link = f"http://{args.ip}:{args.http_port}/{name}"
        writer.write(f"Imagen escalada disponible en: {link}\n".encode())
        await writer.drain()
        print(f"Enlace de imagen escalada enviado al cliente: {link}")
    except Exception as e:
        print(f"Error: {e}")
        writer.write(f"Error: {e}\n".encode())
    finally:
        writer.close()


async def main():
    app = web.Application()
    app.router.add_static("/", FOLDER)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, args.ip, args.http_port).start()
    server = await asyncio.start_server(handle, args.ip, args.port, limit=2**26)
    print(f"Servidor escuchando en {args.ip}:{args.port}", flush=True)
    print(f"Servidor de archivos escalados escuchando en http://{args.ip}:{args.http_port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
