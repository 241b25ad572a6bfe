// Drives the official `moondream` npm client (m87-labs/moondream-node) against our server.
// Usage: node npm_client.mjs BASE_URL IMAGES_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import md from 'moondream';

const [base, images] = process.argv.slice(2);
const model = new md.vl({ endpoint: `${base}/v1` });
const picture = fs.readFileSync(path.join(images, 'portrait_320x480.jpg'));
const scene = fs.readFileSync(path.join(images, 'scene_512x384.png'));

async function collect(gen) {
  let text = '';
  let chunks = 0;
  for await (const piece of gen) {
    assert.equal(typeof piece, 'string');
    text += piece;
    chunks += 1;
  }
  return { text, chunks };
}

let passed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  passed += 1;
  console.log(`ok ${passed} - ${name} (${Date.now() - t0} ms)`);
}

await check('caption, plain (short)', async () => {
  const r = await model.caption({ image: picture, length: 'short' });
  assert.equal(typeof r.caption, 'string');
  assert.ok(r.caption.length > 0, 'caption is empty');
});

await check('caption, streamed (normal)', async () => {
  const r = await model.caption({ image: scene, length: 'normal', stream: true });
  const { text, chunks } = await collect(r.caption);
  assert.ok(text.length > 0, 'streamed caption is empty');
  assert.ok(chunks >= 1);
});

await check('caption, long, from an imageUrl', async () => {
  const url = `data:image/png;base64,${scene.toString('base64')}`;
  const r = await model.caption({ image: { imageUrl: url }, length: 'long' });
  assert.ok(r.caption.length > 0);
});

await check('query with a picture buffer', async () => {
  const r = await model.query({ image: picture, question: 'What is in this picture?' });
  assert.equal(typeof r.answer, 'string');
  assert.ok(r.answer.length > 0);
  assert.equal(r.reasoning, undefined);
});

await check('query streamed', async () => {
  const r = await model.query({ image: picture, question: 'Describe it.', stream: true });
  const { text } = await collect(r.answer);
  assert.ok(text.length > 0);
});

await check('query without a picture', async () => {
  const r = await model.query({ question: 'Hello?' });
  assert.ok(typeof r.answer === 'string');
});

await check('a bad picture is refused with HTTP 400', async () => {
  const truncated = picture.subarray(0, 2000).toString('base64');
  await assert.rejects(
    model.caption({ image: { imageUrl: `data:image/jpeg;base64,${truncated}` } }),
    /HTTP error! status: 400/);
});

await check('a non-picture buffer is refused by the client before sending', async () => {
  await assert.rejects(model.caption({ image: Buffer.from('not a picture') }), /Failed to convert image/);
});

await check('detect answers 501 (no region head in GGUF models)', async () => {
  await assert.rejects(model.detect({ image: picture, object: 'face' }), /status: 501/);
});

console.log(`npm client: ${passed} passed, 0 failed`);
