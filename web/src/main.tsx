import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ConsoleApp } from "./console/ConsoleApp";
import { CustomerApp } from "./customer/CustomerApp";
import { finishCognitoSignIn } from "./lib/auth";
import { loadConfig } from "./lib/config";
import { LocaleProvider } from "./lib/i18n";
import { navigate, useLocation } from "./lib/router";
import { ErrorMessage, Loading } from "./lib/ui";
import "./styles.css";
import { useEffect, useState } from "react";

function SignedIn() {
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    finishCognitoSignIn().then((back) => navigate(back, true), setError);
  }, []);
  return error ? <ErrorMessage error={error} /> : <Loading />;
}

function App() {
  const { path } = useLocation();
  if (path === "/console" || path.startsWith("/console/")) return <ConsoleApp />;
  if (path === "/signed-in") return <SignedIn />;
  return <CustomerApp />;
}

async function start() {
  const root = createRoot(document.getElementById("root")!);
  try {
    await loadConfig();
  } catch (error) {
    root.render(<p role="alert">{String(error)}</p>);
    return;
  }
  if (location.pathname === "/") navigate("/c/", true);
  root.render(
    <StrictMode>
      <LocaleProvider>
        <App />
      </LocaleProvider>
    </StrictMode>,
  );
}

void start();
