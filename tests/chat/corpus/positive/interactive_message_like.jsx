// Modelled on amazon-connect-chat-interface InteractiveMessage: an element of a bot's interactive message
// (ListPicker / Panel) carries a url that is rendered as a link.
import React from "react";

export function LinkElement({ element }) {
  const { title, url, target } = element;
  return (
    <a href={url} target={target || "_blank"} rel="noopener noreferrer"> {/* expect: unsafe-url-sink */}
      {title}
    </a>
  );
}

// The same pattern with the bot message parsed in this file: the href comes straight from the chat event.
export function useInteractiveLinks(chatSession, setLinks) {
  chatSession.onMessage((event) => {
    const { ContentType, Content } = event.data;
    if (ContentType === "application/vnd.amazonaws.connect.message.interactive") {
      const template = JSON.parse(Content);
      setLinks(template.data.content.elements);
    }
  });
}

export function BotLink({ chatSession }) {
  const [link, setLink] = React.useState(null);
  React.useEffect(() => {
    chatSession.onMessage((event) => {
      const parsed = JSON.parse(event.data.Content);
      setLink(parsed.data.content.elements[0]);
    });
  }, [chatSession]);
  if (!link) return null;
  return <a href={link.url}>{link.title}</a>; // expect: tainted-url-sink
}
