import { createServer } from "node:net";

/**
 * The peer's TCP service: run inside a namespace as
 * `ip netns exec NS node tcp-responder.js ADDRESS PORT NAME`. To each client it writes one
 * line naming itself and the address the connection came from, so the guest's side proves
 * both whom it reached and whether its address was translated on the way (routing vs NAT).
 */
export const RESPONDER_READY = "tiosa-responder listening";

function main(argv: string[]): void {
  const [address, portText, name] = argv;
  const port = Number(portText);
  if (!address || !name || !Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write("usage: tcp-responder ADDRESS PORT NAME\n");
    process.exit(2);
  }
  const server = createServer((sock) => {
    const from = (sock.remoteAddress ?? "?").replace(/^::ffff:/, "");
    process.stdout.write(`connection from ${from}\n`);
    sock.on("error", () => undefined);
    sock.end(`tiosa-peer ${name} saw-client ${from}\n`);
  });
  server.on("error", (e) => { process.stderr.write(`tcp-responder: ${e.message}\n`); process.exit(1); });
  server.listen(port, address, () => process.stdout.write(`${RESPONDER_READY} ${address}:${port}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main(process.argv.slice(2));
