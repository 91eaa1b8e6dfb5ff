// Modelled on amazon-connect-chat-interface ChatActionBar: the footer is configurable and, when
// footerConfig.isHTML is set, rendered with dangerouslySetInnerHTML. Neither eslint-plugin-no-unsanitized
// nor the semgrep registry reports it.
import React from "react";
import styled from "styled-components";

const FooterWrapper = styled.div`
  padding: 4px;
`;

function createMarkup(content) {
  return { __html: content };
}

export default class ChatActionBar extends React.Component {
  renderFooter() {
    const { footerConfig } = this.props;
    if (footerConfig && footerConfig.isHTML) {
      return (
        <FooterWrapper
          dangerouslySetInnerHTML={createMarkup(footerConfig.render(this.props))} // expect: unsafe-html-sink
        />
      );
    }
    return <FooterWrapper>{footerConfig ? footerConfig.text : null}</FooterWrapper>;
  }

  render() {
    return <div className="actions">{this.renderFooter()}</div>;
  }
}
