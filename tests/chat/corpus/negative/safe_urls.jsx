import React from "react";

function isSafeUrl(u) {
  try {
    return ["https:", "mailto:"].includes(new URL(u).protocol);
  } catch {
    return false;
  }
}

export function Attachment({ item, agentId }) {
  return (
    <div>
      <a href={`/agents/${agentId}`}>Agent</a>
      <a href={"https://help.example.com/articles/" + item.articleId}>Help</a>
      <a href={isSafeUrl(item.url) ? item.url : "#"}>Link</a>
      <a href="https://www.example.com/privacy">Privacy</a>
      <img src={item.thumbnail} alt={item.name} />
    </div>
  );
}

export function openHelp(topic) {
  window.open(`https://help.example.com/search?q=${encodeURIComponent(topic)}`, "_blank");
}
