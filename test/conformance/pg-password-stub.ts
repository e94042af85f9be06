import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A server that speaks just enough of the Postgres wire protocol to demand a cleartext password
 * and reject it with SQLSTATE 28P01, the way a server with `password` auth in pg_hba.conf does.
 * The local test Postgres trusts every loopback connection, so it never rejects a password itself.
 * To prove scrubbing, the rejection text quotes the password it received; a real server would not.
 */
export interface PasswordStub {
  port: number;
  /** Passwords received so far (proves the client really sent one). */
  received: string[];
  close(): Promise<void>;
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function errorResponse(fields: Record<string, string>): Buffer {
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8'));
  return message('E', Buffer.concat([...parts, Buffer.from([0])]));
}

export async function startPasswordStub(): Promise<PasswordStub> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let started = false;
    let user = '';
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!started) {
        if (buf.length < 8) return;
        const len = buf.readInt32BE(0);
        if (buf.length < len) return;
        const params = buf.subarray(8, len).toString('utf8').split('\0');
        user = params[params.indexOf('user') + 1] ?? '';
        buf = buf.subarray(len);
        started = true;
        const auth = Buffer.alloc(4);
        auth.writeInt32BE(3); // AuthenticationCleartextPassword
        socket.write(message('R', auth));
      }
      if (started && buf.length >= 5 && buf[0] === 0x70 /* 'p' */) {
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const password = buf.subarray(5, len + 1).toString('utf8').replace(/\0$/, '');
        buf = buf.subarray(len + 1);
        received.push(password);
        socket.end(
          errorResponse({
            S: 'FATAL',
            V: 'FATAL',
            C: '28P01',
            M: `password authentication failed for user "${user}" (got "${password}")`,
          }),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
