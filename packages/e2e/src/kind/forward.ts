/**
 * A local TCP port forwarded to a pod port through the Kubernetes API (what `kubectl port-forward` does). Bytes pass
 * untouched, so TLS, SNI and client certificates reach the pod exactly as the client sent them.
 */
import { createServer, type Server } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';

export interface Forward {
  port: number;
  close(): Promise<void>;
}

export async function forwardPort(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  remotePort: number,
): Promise<Forward> {
  const k8s = await import('@kubernetes/client-node');
  const pf = new k8s.PortForward(kc);
  const server: Server = createServer((socket) => {
    pf.portForward(namespace, pod, [remotePort], socket, null, socket).catch((e: Error) => socket.destroy(e));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('port forward: no local port');
  return {
    port: address.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
