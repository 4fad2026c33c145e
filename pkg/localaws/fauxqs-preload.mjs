// Loaded with `node --import` before fauxqs's dist/server.js: localaws.Start writes it next to the
// queue data. It corrects two behaviours of fauxqs 2.4.1 (the version package-lock.json pins)
// that would make the local queue unlike SQS; sqs_test.go holds both.
import net from "node:net";
import path from "node:path";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const dist = path.dirname(process.argv[1]);
const { version } = JSON.parse(readFileSync(path.join(dist, "..", "package.json"), "utf8"));
if (version !== "2.4.1") {
  // Both corrections read fauxqs's internals: a new version needs them reviewed.
  throw new Error(`fauxqs ${version}: pkg/localaws/fauxqs-preload.mjs was written for 2.4.1; review it`);
}

// 1. fauxqs listens on every interface (dist/app.js: app.listen({ port, host: "0.0.0.0" })), and
// no setting changes that; FAUXQS_HOST only names the host in queue URLs. The local stack's
// servers listen on loopback only.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const o = args[0];
  if (o !== null && typeof o === "object" && (o.host === undefined || o.host === "0.0.0.0" || o.host === "::")) {
    args[0] = { ...o, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};

// 2. With persistence on, ChangeMessageVisibility to 0 stores NULL as the receive count, which
// the NOT NULL column refuses: the call answers 500 and the message is lost until the next start.
// Clear only the in-flight state, keeping the receive count and first receive time, as fauxqs's
// own start-up does for a message whose visibility timeout has passed.
const { PersistenceManager } = await import(pathToFileURL(path.join(dist, "persistence.js")).href);
if (typeof PersistenceManager?.prototype?.updateMessageReady !== "function") {
  throw new Error("fauxqs: PersistenceManager.updateMessageReady is gone; review pkg/localaws/fauxqs-preload.mjs");
}
PersistenceManager.prototype.updateMessageReady = function (messageId) {
  this.readyStatement ??= this.db.prepare(
    "UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?",
  );
  this.readyStatement.run(messageId);
};
