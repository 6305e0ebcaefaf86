import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runJumpgate, settingsWith, startGateway } from '../helpers/gateway.js';
import { ApiClient } from '../helpers/http-api.js';
import { freePort } from '../helpers/ports.js';
import { cleanupAll } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/tmp.js';
import { issueCertificate, makeCertificateAuthority } from '../helpers/tls-certs.js';
import { describeRun } from '../helpers/ssh-client.js';

describe('the console listener and TLS (http.tls)', () => {
  after(cleanupAll);

  test('serve refuses a non-loopback http.listen without http.tls (exit 2, naming http.tls)', { timeout: 60_000 }, async () => {
    const dir = makeTempDir('http-tls');
    const sshPort = await freePort();
    const httpPort = await freePort();
    const r = await runJumpgate(['serve', '--data', path.join(dir, 'data'), '--listen', `127.0.0.1:${sshPort}`, '--http', `0.0.0.0:${httpPort}`]);
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /^jumpgate: http\.listen 0\.0\.0\.0:\d+ is not a loopback address: set http\.tls\.cert and http\.tls\.key/m);
  });

  test('with http.tls the same listen serves HTTPS, and the session cookie is Secure', { timeout: 60_000 }, async () => {
    const dir = makeTempDir('http-tls-ca');
    const ca = await makeCertificateAuthority(dir);
    const leaf = await issueCertificate(ca, 'console', { ips: ['127.0.0.1'] });
    const httpPort = await freePort('0.0.0.0');
    const gateway = await startGateway({
      settings: settingsWith([[['http', 'listen'], `0.0.0.0:${httpPort}`], [['http', 'tls'], { cert: leaf.certPath, key: leaf.keyPath }]]),
    });
    try {
      await gateway.apply('kind: User\nname: alice\n');
      const passwd = await gateway.jumpgate(['user', 'passwd', 'alice', '--stdin'], { input: 'alice-tls-password-1' });
      assert.equal(passwd.code, 0, describeRun(passwd));
      const client = new ApiClient({ base: `https://127.0.0.1:${httpPort}`, ca: fs.readFileSync(ca.certPath) });
      const signIn = await client.signIn('alice', 'alice-tls-password-1');
      assert.equal(signIn.status, 200, signIn.text);
      assert.match(signIn.headers['set-cookie']?.[0] ?? '', /; HttpOnly; SameSite=Strict; Secure/);
      assert.match(String(signIn.headers['strict-transport-security']), /max-age=/);
      assert.equal((await client.request('GET', '/api/v1/my/targets')).status, 200);
      assert.match(gateway.stderrText(), /http listening on https:\/\//);
    } finally {
      await gateway.stop();
    }
  });
});
