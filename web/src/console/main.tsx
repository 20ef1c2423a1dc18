import { render } from "preact";
import { ConsoleApp } from "./app.js";
import { takeTokenFromFragment } from "./auth.js";
import { completeOidcSignIn, loadOidcConfig } from "./oidc.js";

takeTokenFromFragment();
const oidc = await loadOidcConfig().catch(() => null);
if (oidc) await completeOidcSignIn(oidc).catch(() => undefined);
render(<ConsoleApp oidc={oidc} />, document.getElementById("app")!);
