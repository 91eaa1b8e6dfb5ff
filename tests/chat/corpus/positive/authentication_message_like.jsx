// Modelled on amazon-connect-chat-interface AuthenticationMessage: a sign-in link from a chat event is
// opened with window.open.
import React from "react";

export function AuthenticationMessage({ content }) {
  const link = content.authenticationUrl;
  const openLink = () => {
    window.open(link, "_blank", "noopener"); // expect: unsafe-url-sink
  };
  return <button onClick={openLink}>Sign in</button>;
}

export function listenForAuthentication(chatSession) {
  chatSession.onAuthenticationInitiated((event) => {
    const details = JSON.parse(event.data.Content);
    window.open(details.authenticationUrl, "_blank"); // expect: tainted-url-sink
  });
}
