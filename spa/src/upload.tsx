import { render } from 'preact';
import './styles/app.css';
import { UploadPage } from './components/UploadPage';

const el = document.getElementById('app');
if (el) {
  el.replaceChildren();
  render(<UploadPage />, el);
}
