"""The baseline scale server of the load test: a reconstruction of the
original Python system's scale_server.py from its README (ports, framing,
messages). Each connection carries one request: a 4-byte big-endian length
and an image; the reply is the image resized to 50%, framed the same way.
As in the original, Pillow's work runs on the asyncio event loop.

Usage: python3 scale_server.py [PORT]
"""
import asyncio
import io
import struct
import sys

from PIL import Image

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8001


async def handle(reader, writer):
    peer = writer.get_extra_info("peername")
    try:
        print(f"Recibiendo imagen desde: {peer}")
        (size,) = struct.unpack(">I", await reader.readexactly(4))
        print(f"Tamaño de la imagen a recibir: {size} bytes.")
        data = await reader.readexactly(size)
        print(f"Recibido {len(data)} bytes de imagen.")
        img = Image.open(io.BytesIO(data))
        print(f"Imagen recibida con dimensiones originales: {img.width}x{img.height}")
        scaled = img.resize((int(img.width * 0.5), int(img.height * 0.5)))
        print(f"Imagen escalada a {scaled.width}x{scaled.height}.")
        out = io.BytesIO()
        scaled.save(out, format="JPEG")
        writer.write(struct.pack(">I", out.tell()) + out.getvalue())
        await writer.drain()
        print("Escalado completado, imagen escalada enviada al cliente.")
    except Exception as e:  # the original logs and carries on
        print(f"Error: {e}")
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT)
    print(f"Iniciando el servidor de escalado en 127.0.0.1:{PORT}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
