import { closeSync, fchmodSync, fsyncSync, openSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { createSigningKeyPair, SIGNING_KEY_ENV, SigningKeyError } from "../../cache/signing.ts";
import { EXIT, UsageError } from "../../core/errors.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";

export const DEFAULT_KEY_FILE = "pipeline-cache-signing.key";

export const KEYGEN_HELP = `usage: pipeline cache keygen [--out PATH]

Makes an Ed25519 key pair for signing entries of a shared remote cache. The private key is
written to PATH (default ${DEFAULT_KEY_FILE} in the current directory) with mode 0600, and
never over an existing file; the public key is printed.

  - put the public key in pipeline.yaml, under cache: { remote: { trust: [ "ed25519:..." ] } };
    readers then accept remote entries only when a trusted key signed them
  - give the private key file to CI as a secret, and set ${SIGNING_KEY_ENV} to its path there;
    whoever holds it can write entries every reader trusts, so keep it out of git and off laptops`;

export async function keygenCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("cache keygen", argv, { out: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.stdout(KEYGEN_HELP);
    return EXIT.ok;
  }
  if (values.out === "") throw new UsageError("cache keygen: --out needs a file path", "see `pipeline cache keygen --help`");
  const shown = values.out ?? DEFAULT_KEY_FILE;
  const path = resolve(io.cwd, shown);
  const { privateKeyPem, publicKey } = createSigningKeyPair();
  _writePrivateKey(path, shown, privateKeyPem);

  io.stdout(`wrote the private key to ${shown} (mode 0600)`);
  io.stdout("public key:");
  io.stdout(publicKey);
  io.stdout("");
  io.stdout("to trust entries it signs, add the public key to pipeline.yaml:");
  io.stdout("  cache:");
  io.stdout("    remote:");
  io.stdout("      trust:");
  io.stdout(`        - "${publicKey}"`);
  io.stdout(`give CI the private key file as a secret and point ${SIGNING_KEY_ENV} at it:`);
  io.stdout(`  ${SIGNING_KEY_ENV}=path/to/${DEFAULT_KEY_FILE} pipeline run`);
  io.stdout("keep the private key out of git and off laptops: whoever holds it can write entries every reader trusts");
  return EXIT.ok;
}

/** Creates the file (never replacing one), owner-only from the first byte. */
function _writePrivateKey(path: string, shown: string, pem: string): void {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      throw new SigningKeyError(
        `${shown} already exists; pipeline cache keygen never overwrites a key`,
        "choose another file with --out PATH, or remove the old key once nothing uses it",
        "E_KEY_EXISTS",
      );
    }
    throw new SigningKeyError(
      `cannot create ${shown}: ${(error as Error).message}`,
      "choose a writable location with --out PATH",
      "E_KEY_WRITE",
    );
  }
  try {
    fchmodSync(fd, 0o600); // the umask may have taken bits from the owner
    writeFileSync(fd, pem);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(path, { force: true }); // a half-written key is useless and must not be mistaken for one
    throw new SigningKeyError(
      `cannot write ${shown}: ${(error as Error).message}`,
      "free some space or choose another location with --out PATH",
      "E_KEY_WRITE",
    );
  }
  closeSync(fd);
}
